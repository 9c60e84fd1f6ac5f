"""The school's logo, printed on the restoration agreement."""
from peewee import BlobField


def up(migrator, db):
    migrator.migrate(migrator.add_column("school_settings", "logo_png", BlobField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("school_settings", "logo_png"))
