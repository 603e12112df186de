"""Novelas: validation, CRUD, scene planning, status transitions and cost aggregation."""
