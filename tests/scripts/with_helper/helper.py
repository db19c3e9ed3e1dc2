GREETING = "hello from helper.py"
