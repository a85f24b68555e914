/* empty sandflow compat stub: utmp.h */
