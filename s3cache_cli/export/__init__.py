"""Export: plan what each blob needs, check the source, transfer, publish."""
