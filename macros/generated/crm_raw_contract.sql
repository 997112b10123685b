{# Generated from contract/raw_schema.yml by `crm-metrics contract render`: do not edit. #}
{% macro crm_raw_contract() %}
{{ return(fromjson('
{"tables": {
  "users": {
    "columns": [
      {"name": "user_id", "required": true, "type": "text"},
      {"name": "full_name", "required": true, "type": "text"},
      {"name": "email", "required": false, "type": "text"},
      {"name": "role", "required": true, "type": "text"},
      {"name": "manager_id", "required": false, "type": "text"},
      {"name": "team", "required": false, "type": "text"},
      {"name": "segment", "required": false, "type": "text"},
      {"name": "hired_on", "required": false, "type": "date"},
      {"name": "is_active", "required": false, "type": "boolean"}
    ],
    "key": ["user_id"],
    "required": true
  },
  "accounts": {
    "columns": [
      {"name": "account_id", "required": true, "type": "text"},
      {"name": "account_name", "required": true, "type": "text"},
      {"name": "industry", "required": false, "type": "text"},
      {"name": "employee_count", "required": false, "type": "integer"},
      {"name": "country", "required": false, "type": "text"},
      {"name": "segment", "required": false, "type": "text"},
      {"name": "owner_id", "required": false, "type": "text"},
      {"name": "created_at", "required": true, "type": "timestamp"}
    ],
    "key": ["account_id"],
    "required": true
  },
  "stages": {
    "columns": [
      {"name": "stage_name", "required": true, "type": "text"},
      {"name": "stage_order", "required": true, "type": "integer"},
      {"name": "default_probability", "required": false, "type": "decimal"},
      {"name": "is_closed", "required": true, "type": "boolean"},
      {"name": "is_won", "required": true, "type": "boolean"}
    ],
    "key": ["stage_name"],
    "required": true
  },
  "opportunities": {
    "columns": [
      {"name": "opportunity_id", "required": true, "type": "text"},
      {"name": "account_id", "required": true, "type": "text"},
      {"name": "owner_id", "required": true, "type": "text"},
      {"name": "presales_owner_id", "required": false, "type": "text"},
      {"name": "opportunity_name", "required": false, "type": "text"},
      {"name": "opportunity_type", "required": false, "type": "text"},
      {"name": "lead_source", "required": false, "type": "text"},
      {"name": "created_at", "required": true, "type": "timestamp"},
      {"name": "close_date", "required": true, "type": "date"},
      {"name": "amount", "required": false, "type": "decimal"},
      {"name": "currency_code", "required": false, "type": "text"},
      {"name": "stage_name", "required": true, "type": "text"},
      {"name": "is_closed", "required": false, "type": "boolean"},
      {"name": "is_won", "required": false, "type": "boolean"},
      {"name": "loss_reason", "required": false, "type": "text"},
      {"name": "closed_at", "required": false, "type": "timestamp"}
    ],
    "key": ["opportunity_id"],
    "required": true
  },
  "opportunity_history": {
    "columns": [
      {"name": "opportunity_id", "required": true, "type": "text"},
      {"name": "changed_at", "required": true, "type": "timestamp"},
      {"name": "stage_name", "required": true, "type": "text"},
      {"name": "amount", "required": false, "type": "decimal"},
      {"name": "close_date", "required": false, "type": "date"},
      {"name": "changed_by", "required": false, "type": "text"},
      {"name": "source_order", "required": false, "type": "text"}
    ],
    "key": ["opportunity_id", "changed_at", "source_order"],
    "required": true
  },
  "opportunity_line_items": {
    "columns": [
      {"name": "line_item_id", "required": true, "type": "text"},
      {"name": "opportunity_id", "required": true, "type": "text"},
      {"name": "product_id", "required": true, "type": "text"},
      {"name": "quantity", "required": false, "type": "decimal"},
      {"name": "unit_price", "required": false, "type": "decimal"}
    ],
    "key": ["line_item_id"],
    "required": false
  },
  "products": {
    "columns": [
      {"name": "product_id", "required": true, "type": "text"},
      {"name": "product_name", "required": true, "type": "text"},
      {"name": "product_family", "required": false, "type": "text"},
      {"name": "list_price", "required": false, "type": "decimal"}
    ],
    "key": ["product_id"],
    "required": false
  },
  "leads": {
    "columns": [
      {"name": "lead_id", "required": true, "type": "text"},
      {"name": "created_at", "required": true, "type": "timestamp"},
      {"name": "lead_source", "required": true, "type": "text"},
      {"name": "owner_id", "required": false, "type": "text"},
      {"name": "status", "required": false, "type": "text"},
      {"name": "mql_at", "required": false, "type": "timestamp"},
      {"name": "sql_at", "required": false, "type": "timestamp"},
      {"name": "converted_at", "required": false, "type": "timestamp"},
      {"name": "converted_opportunity_id", "required": false, "type": "text"},
      {"name": "converted_account_id", "required": false, "type": "text"},
      {"name": "disqualified_at", "required": false, "type": "timestamp"},
      {"name": "disqualify_reason", "required": false, "type": "text"},
      {"name": "title", "required": false, "type": "text"},
      {"name": "accepted_at", "required": false, "type": "timestamp"}
    ],
    "key": ["lead_id"],
    "required": false
  },
  "activities": {
    "columns": [
      {"name": "activity_id", "required": true, "type": "text"},
      {"name": "user_id", "required": true, "type": "text"},
      {"name": "activity_type", "required": true, "type": "text"},
      {"name": "activity_at", "required": true, "type": "timestamp"},
      {"name": "outcome", "required": false, "type": "text"},
      {"name": "duration_minutes", "required": false, "type": "decimal"},
      {"name": "lead_id", "required": false, "type": "text"},
      {"name": "contact_id", "required": false, "type": "text"},
      {"name": "account_id", "required": false, "type": "text"},
      {"name": "opportunity_id", "required": false, "type": "text"}
    ],
    "key": ["activity_id"],
    "required": false
  },
  "subscriptions": {
    "columns": [
      {"name": "subscription_id", "required": true, "type": "text"},
      {"name": "account_id", "required": true, "type": "text"},
      {"name": "product_id", "required": false, "type": "text"},
      {"name": "start_date", "required": true, "type": "date"},
      {"name": "end_date", "required": false, "type": "date"},
      {"name": "mrr_amount", "required": true, "type": "decimal"},
      {"name": "currency_code", "required": false, "type": "text"},
      {"name": "quantity", "required": false, "type": "decimal"}
    ],
    "key": ["subscription_id"],
    "required": false
  },
  "targets": {
    "columns": [
      {"name": "user_id", "required": false, "type": "text"},
      {"name": "period_month", "required": true, "type": "date"},
      {"name": "metric", "required": true, "type": "text"},
      {"name": "target_value", "required": true, "type": "decimal"}
    ],
    "key": ["user_id", "period_month", "metric"],
    "required": false
  },
  "marketing_spend": {
    "columns": [
      {"name": "period_month", "required": true, "type": "date"},
      {"name": "channel", "required": true, "type": "text"},
      {"name": "spend", "required": true, "type": "decimal"}
    ],
    "key": ["period_month", "channel"],
    "required": false
  },
  "exchange_rates": {
    "columns": [
      {"name": "currency_code", "required": true, "type": "text"},
      {"name": "rate_date", "required": true, "type": "date"},
      {"name": "rate_to_reporting", "required": true, "type": "decimal"}
    ],
    "key": ["currency_code", "rate_date"],
    "required": false
  },
  "contacts": {
    "columns": [
      {"name": "contact_id", "required": true, "type": "text"},
      {"name": "account_id", "required": false, "type": "text"},
      {"name": "full_name", "required": false, "type": "text"},
      {"name": "title", "required": false, "type": "text"},
      {"name": "created_at", "required": false, "type": "timestamp"}
    ],
    "key": ["contact_id"],
    "required": false
  },
  "opportunity_contact_roles": {
    "columns": [
      {"name": "opportunity_id", "required": true, "type": "text"},
      {"name": "contact_id", "required": true, "type": "text"},
      {"name": "role", "required": false, "type": "text"},
      {"name": "is_primary", "required": false, "type": "boolean"}
    ],
    "key": ["opportunity_id", "contact_id", "role"],
    "required": false
  },
  "sales_costs": {
    "columns": [
      {"name": "period_month", "required": true, "type": "date"},
      {"name": "category", "required": true, "type": "text"},
      {"name": "amount", "required": true, "type": "decimal"}
    ],
    "key": ["period_month", "category"],
    "required": false
  },
  "product_users": {
    "columns": [
      {"name": "product_user_id", "required": true, "type": "text"},
      {"name": "account_id", "required": false, "type": "text"},
      {"name": "contact_id", "required": false, "type": "text"},
      {"name": "signed_up_at", "required": true, "type": "timestamp"},
      {"name": "activated_at", "required": false, "type": "timestamp"}
    ],
    "key": ["product_user_id"],
    "required": false
  },
  "usage_events": {
    "columns": [
      {"name": "event_id", "required": true, "type": "text"},
      {"name": "product_user_id", "required": true, "type": "text"},
      {"name": "event_at", "required": true, "type": "timestamp"},
      {"name": "event_type", "required": true, "type": "text"},
      {"name": "duration_minutes", "required": false, "type": "decimal"}
    ],
    "key": ["event_id"],
    "required": false
  },
  "support_tickets": {
    "columns": [
      {"name": "ticket_id", "required": true, "type": "text"},
      {"name": "account_id", "required": false, "type": "text"},
      {"name": "contact_id", "required": false, "type": "text"},
      {"name": "product_user_id", "required": false, "type": "text"},
      {"name": "created_at", "required": true, "type": "timestamp"},
      {"name": "closed_at", "required": false, "type": "timestamp"},
      {"name": "priority", "required": false, "type": "text"},
      {"name": "status", "required": false, "type": "text"}
    ],
    "key": ["ticket_id"],
    "required": false
  }
}}
')) }}
{% endmacro %}
