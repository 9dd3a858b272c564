package store

// sqliteFilesPrivate does nothing on Windows: Unix permission bits do not
// apply there. The ACL of the database's directory is what protects it;
// put the database where only administrators and the service can read.
func sqliteFilesPrivate(path string) error { return nil }
