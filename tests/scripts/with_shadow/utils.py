WHO = "user utils.py"
