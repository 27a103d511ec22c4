"""Guards: router-side rules that compose with any strategy (quiet hours, AIT, ...)."""
