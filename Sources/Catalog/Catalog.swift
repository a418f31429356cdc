// The catalog: tenants, databases, collections, segments and versions (SQLite through GRDB).
