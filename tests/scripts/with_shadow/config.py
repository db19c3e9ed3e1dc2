WHO = "user config.py"
