"""buffer_sim: an agent-based model of patron-client relations on the Korean peninsula.

Built from Daniel Wertz, *China-North Korea Relations* (NCNK).
"""

__version__ = "0.1.0"
