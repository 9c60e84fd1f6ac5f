"""What Herstel does, a module per feature, each named like its blueprint in views/ (cases, conversations,
agreements, followups, ...). Modules here may use permissions, audit, models and db, never views or forms."""
