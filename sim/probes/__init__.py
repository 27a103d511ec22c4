"""Route testing: probe messages to test handsets, and the evidence they give."""
