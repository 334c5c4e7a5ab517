"""`frontdesk check`: what a deployment still lacks or gets wrong, in plain words."""
