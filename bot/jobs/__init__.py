"""The work engine: due work stored in the database, claimed and run by the worker."""
