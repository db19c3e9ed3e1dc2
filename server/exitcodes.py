"""The server's exit codes, one meaning each; orchestrators and the gate read them."""

EXIT_OK = 0
EXIT_USAGE = 1  # upstream remaps argparse's 2 to 1; scripts and orchestrators rely on it
EXIT_BOOT_FAILURE = 3  # the script, its init() or the configuration failed: the server never serves
