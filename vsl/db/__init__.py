"""Database: engine and sessions, ORM models, repositories. All SQL of the app lives below here."""
