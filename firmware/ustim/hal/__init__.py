# Hardware adapters: thin, one small interface each (see docs and each module).
