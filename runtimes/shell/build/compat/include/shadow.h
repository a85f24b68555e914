/* empty sandflow compat stub: shadow.h */
