"""The project's database backend (DATABASES ENGINE "saas_platform.database"); see base.py."""
