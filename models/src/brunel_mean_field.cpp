// Siegert mean-field rate of the Brunel (2000) network; filled in with its test.
