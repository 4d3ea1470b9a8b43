"""The database: engine and metadata, the read path, the unit of work, the inbox, worker ids."""
