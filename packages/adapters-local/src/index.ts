// The airlock's ports on one machine: SQLite (node:sqlite) for records, the filesystem for files.
