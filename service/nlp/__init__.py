"""Language processing shared by retrieval and guards (Korean first, English too)."""
