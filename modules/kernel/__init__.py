"""The shared kernel: what every context builds on, free of any framework."""
