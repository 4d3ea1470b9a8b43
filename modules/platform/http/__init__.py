"""HTTP mechanics every context's router shares."""
