/* empty sandflow compat stub: utmpx.h */
