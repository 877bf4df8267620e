"""Support tickets, moved from `messaging`: the models take over the existing tables, which are then renamed.

Rows, ids and indexes stay as they were; the content types follow, so admin history and permissions stay.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("supportticket", "ticketmessage"):
        if not content_type.objects.filter(app_label="support", model=model).exists():
            content_type.objects.filter(app_label="messaging", model=model).update(app_label="support")


def restore_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="support", model__in=["supportticket", "ticketmessage"]).update(
        app_label="messaging")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("messaging", "0003_support_tickets_move_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SupportTicket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=200)),
                        ('category', models.CharField(choices=[('account', 'My account'), ('payments', 'Payments and payouts'), ('dispute', 'A dispute'), ('technical', 'Something does not work'), ('other', 'Something else')], default='other', max_length=12)),
                        ('priority', models.CharField(choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], default='normal', max_length=8)),
                        ('status', models.CharField(choices=[('open', 'Waiting for our team'), ('pending', 'Answered, waiting for you'), ('resolved', 'Resolved')], default='open', max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('first_response_at', models.DateTimeField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('assigned_to', models.ForeignKey(blank=True, limit_choices_to={'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='support_tickets', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-updated_at', '-id'],
                        'db_table': 'messaging_supportticket',
                    },
                ),
                migrations.CreateModel(
                    name='TicketMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(max_length=5000)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('is_staff_reply', models.BooleanField(default=False)),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='ticket_messages', to=settings.AUTH_USER_MODEL)),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='support.supportticket')),
                    ],
                    options={
                        'ordering': ['created_at', 'id'],
                        'db_table': 'messaging_ticketmessage',
                    },
                ),
                migrations.AddIndex(
                    model_name='supportticket',
                    index=models.Index(fields=['user', '-updated_at'], name='ticket_user_idx'),
                ),
                migrations.AddIndex(
                    model_name='supportticket',
                    index=models.Index(fields=['status', '-updated_at'], name='ticket_status_idx'),
                ),
                migrations.AddIndex(
                    model_name='ticketmessage',
                    index=models.Index(fields=['ticket', 'id'], name='ticketmessage_ticket_idx'),
                ),
    
            ],
        ),
        migrations.AlterModelTable(name="supportticket", table=None),
        migrations.AlterModelTable(name="ticketmessage", table=None),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
