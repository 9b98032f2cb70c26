from django.db import migrations, models


class Migration(migrations.Migration):
    """The run's position mode and side; runs before this were one-way (hedge was refused)."""

    dependencies = [
        ("canary", "0002_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="canaryrun",
            name="position_mode",
            field=models.CharField(blank=True, default="one-way", max_length=8),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="canaryrun",
            name="position_side",
            field=models.CharField(blank=True, default="BOTH", max_length=5),
            preserve_default=False,
        ),
    ]
