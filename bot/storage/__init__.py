"""The one package that reads and writes the database: the tables (models/, split by
aggregate), their migrations, and one module of queries per aggregate. Everything
above it speaks in domain terms; IntegrityError never leaves it except as a domain
outcome (a duplicate report, an existing buyer, a name taken). Callers import each
name from the module that defines it."""
