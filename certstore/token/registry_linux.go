package token

// RegistryModules are the modules of the system's registry: p11-kit's on
// Linux.
func RegistryModules() []Module { return ReadP11KitRegistry(P11KitConfigDirs, p11KitModuleDirs) }
