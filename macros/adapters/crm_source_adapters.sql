{#
    Source adapters: where the raw contract's tables come from.

    var source_system:
      - contract (default): the raw contract's tables, from the demo seeds, var raw_schema or the
        files of var raw_dir, as before;
      - fivetran_salesforce / fivetran_hubspot: the connector's tables in schema var
        source_schema, presented as contract tables by the models of models/adapters/<system>/.
        Contract tables a connector does not have (subscriptions, targets, ...) are read from var
        raw_schema when it is set, and are absent (empty) otherwise.

    crm_raw_relation(table_name) is the one place that chooses; staging (crm_raw_table) and the
    reconciliation test read the raw tables through it.
#}

{%- macro crm_source_systems() -%}
    {{ return({
        'contract': [],
        'fivetran_salesforce': [
            'users', 'accounts', 'stages', 'opportunities', 'opportunity_history',
            'opportunity_line_items', 'products', 'leads', 'activities', 'contacts',
            'opportunity_contact_roles', 'support_tickets'
        ],
        'fivetran_hubspot': [
            'users', 'accounts', 'stages', 'opportunities', 'opportunity_history', 'activities',
            'contacts', 'opportunity_contact_roles', 'support_tickets'
        ],
    }) }}
{%- endmacro -%}


{#- var source_system, checked: one of crm_source_systems(). -#}
{%- macro crm_source_system() -%}
    {%- set system = var('source_system', 'contract') or 'contract' -%}
    {%- if system not in crm_metrics.crm_source_systems() -%}
        {{ exceptions.raise_compiler_error(
            "var source_system must be one of " ~ (crm_metrics.crm_source_systems().keys() | list | join(', '))
            ~ ", got " ~ (system | string | tojson) ~ "."
        ) }}
    {%- endif -%}
    {{ return(system) }}
{%- endmacro -%}


{#-
    The relation holding raw table `table_name` as the contract describes it, or none when an
    optional table has no source (an adapter without it and no raw_schema).
-#}
{%- macro crm_raw_relation(table_name) -%}
    {%- set system = crm_metrics.crm_source_system() -%}
    {%- if system == 'contract' -%}
        {%- if crm_metrics.crm_uses_demo_seeds() -%}
            {{ return(ref(table_name)) }}
        {%- endif -%}
        {{ return(source('crm', table_name)) }}
    {%- endif -%}
    {%- if table_name in crm_metrics.crm_source_systems()[system] -%}
        {{ return(ref(system ~ '__' ~ table_name)) }}
    {%- endif -%}
    {%- if var('raw_schema', none) is not none -%}
        {{ return(source('crm', table_name)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro -%}


{#-
    The findings of the source adapter, for dq_findings: the select of model
    <system>__findings (table_name, row_key, column_name, finding, raw_value: values the
    adapter left out of a default it derives, or derived itself), no rows on the contract path.
-#}
{%- macro crm_adapter_findings() -%}
    {%- set system = crm_metrics.crm_source_system() -%}
    {%- if system == 'contract' -%}
    select
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ dbt.type_string() }}) as row_key,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as finding,
        cast(null as {{ dbt.type_string() }}) as raw_value
    where 1 = 0
    {%- else -%}
    select table_name, row_key, column_name, finding, raw_value
    from {{ ref(system ~ '__findings') }}
    {%- endif -%}
{%- endmacro -%}


{#-
    The one column lookup of the adapters. `relation`: a connector table; `required` and
    `optional`: column names as the connector writes them (matched case-insensitively).
    Returns a dict name -> {'sql': the quoted column, or `null` when an optional column is
    missing (the way Fivetran's packages fill columns a schema lacks), 'type': its data type in
    lower case, or none}. The connector's system columns (crm_adapter_system_columns) are
    always looked up, so that crm_adapter_records and crm_adapter_deleted_reason see them. A
    missing required column fails the build naming table and column. With `table_optional`, a
    missing table returns none (the caller presents no rows); a missing required table fails
    naming it, with `hint` (what to set instead) when given. At parse time every column is
    taken as present (the system columns as absent).
-#}
{%- macro crm_adapter_columns(relation, required=[], optional=[], table_optional=false, hint=none) -%}
    {%- set columns = {} -%}
    {%- set system_columns = [] -%}
    {%- for name in crm_metrics.crm_adapter_system_columns() -%}
        {%- if name not in required + optional -%}{%- do system_columns.append(name) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not execute -%}
        {%- for name in required + optional -%}
            {%- do columns.update({name: {'sql': adapter.quote(name), 'type': none}}) -%}
        {%- endfor -%}
        {%- for name in system_columns -%}
            {%- do columns.update({name: {'sql': 'null', 'type': none}}) -%}
        {%- endfor -%}
        {{ return(columns) }}
    {%- endif -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if found is none -%}
        {%- if table_optional -%}{{ return(none) }}{%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter " ~ crm_metrics.crm_source_system() ~ ": connector table '"
            ~ relation.identifier ~ "' was not found in schema '" ~ relation.schema
            ~ "' (looked for " ~ relation ~ "). Check var source_schema (and source_history_schema)"
            ~ ((", or " ~ hint) if hint else "") ~ "."
        ) }}
    {%- endif -%}
    {%- set actual = {} -%}
    {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do actual.update({column.name | lower: column}) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for name in required + optional + system_columns -%}
        {%- set column = actual.get(name | lower) -%}
        {%- if column is none -%}
            {%- if name in required -%}{%- do missing.append(name) -%}{%- endif -%}
            {%- do columns.update({name: {'sql': 'null', 'type': none}}) -%}
        {%- else -%}
            {%- do columns.update({name: {'sql': adapter.quote(column.name), 'type': column.data_type | lower}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter " ~ crm_metrics.crm_source_system() ~ ": connector table '"
            ~ relation.identifier ~ "' (" ~ found ~ ") lacks required column(s) "
            ~ (missing | join(', ')) ~ " (columns found: "
            ~ (actual.keys() | list | sort | join(', ')) ~ ")."
        ) }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro -%}


{#-
    Fivetran's system columns that say whether a connector row is a live record: is_deleted
    (Salesforce's own flag), _fivetran_deleted (soft delete mode), and history mode's
    _fivetran_active and _fivetran_start (a table in history mode holds one row per version
    of a record: https://fivetran.com/docs/core-concepts/system-columns-and-tables).
-#}
{%- macro crm_adapter_system_columns() -%}
    {{ return(['is_deleted', '_fivetran_deleted', '_fivetran_active', '_fivetran_start']) }}
{%- endmacro -%}


{#-
    The rows an adapter reads from a connector table: one per record. `columns`: the table's
    crm_adapter_columns; `key`: the column(s) naming a record (`id`, `deal_id`, ...).
      - A plain table (soft delete mode): its rows, as they are.
      - A table in Fivetran history mode (it has _fivetran_active): one row per version of a
        record. The record is its active version; older versions are not rows read. A record
        with no active version was deleted in the source: its latest version (by
        _fivetran_start) is read, and crm_adapter_deleted_reason rejects it with
        deleted_in_source, as the plain schema's deleted flag does.
    This is the one place that rule lives: every adapter model reads its connector tables
    through it (not deal_stage, whose _fivetran_* columns date the stages a deal entered).
    Returns a from-clause item (aliased as the table's name).
-#}
{%- macro crm_adapter_records(relation, columns, key) -%}
    {%- set keys = [key] if key is string else key -%}
    {%- if columns['_fivetran_active'].sql == 'null' -%}
        {{ relation }}
    {%- else -%}
        {%- set key_sql = [] -%}
        {%- for name in keys -%}{%- do key_sql.append(columns[name].sql) -%}{%- endfor %}
        (
            select *
            from (
                select
                    *,
                    row_number() over (
                        partition by {{ key_sql | join(', ') }}
                        order by
                            case when {{ crm_metrics.crm_adapter_active(columns) }} then 0 else 1 end,
                            {{ columns['_fivetran_start'].sql }} desc
                    ) as crm_version_rank
                from {{ relation }}
            ) as versions
            where crm_version_rank = 1
        ) as {{ adapter.quote(relation.identifier) }}
    {%- endif -%}
{%- endmacro -%}


{#- A connector value as contract text: numbers and text cast to the engine's string type. -#}
{%- macro crm_adapter_text(expr) -%}
    cast({{ expr }} as {{ dbt.type_string() }})
{%- endmacro -%}


{#-
    The first non-null of connector values as contract text: each is cast to text before
    coalesce, so columns of different types (a bigint owner id and a text one) bind.
-#}
{%- macro crm_adapter_coalesce_text(exprs) -%}
    {%- set texts = [] -%}
    {%- for expr in exprs if expr != 'null' -%}
        {%- do texts.append(crm_metrics.crm_adapter_text(expr)) -%}
    {%- endfor -%}
    {%- if not texts -%}
        cast(null as {{ dbt.type_string() }})
    {%- elif texts | length == 1 -%}
        {{ texts[0] }}
    {%- else -%}
        coalesce({{ texts | join(', ') }})
    {%- endif -%}
{%- endmacro -%}


{#-
    A connector number used only within [low, high] (a probability in percent, a fraction):
    the value as a double, null when it is outside the range or not a number. Every default
    an adapter derives reads its inputs through this, so one odd value never fails the build;
    the adapter's findings model reports the values left out.
-#}
{%- macro crm_adapter_in_range(expr, low, high) -%}
    {%- set number = crm_metrics.crm_try_cast(crm_metrics.crm_adapter_text(expr), 'double') -%}
    case when {{ number }} >= {{ low }} and {{ number }} <= {{ high }} then {{ number }} end
{%- endmacro -%}


{#-
    A connector timestamp (or date) as contract text 'YYYY-MM-DD HH:MM:SS' in UTC, which every
    engine's staging parses. `column` is an entry of crm_adapter_columns (its type tells a
    timestamp with time zone, converted to UTC, from a plain one, taken as UTC); a text column
    is passed through for staging to parse. `expr` overrides the column's SQL.
-#}
{%- macro crm_adapter_timestamp(column, expr=none) -%}
    {%- set sql = expr if expr is not none else column['sql'] -%}
    {%- set data_type = column['type'] or '' -%}
    {%- if sql == 'null' -%}
        cast(null as {{ dbt.type_string() }})
    {%- elif data_type.startswith('varchar') or data_type.startswith('text')
        or data_type.startswith('string') or data_type.startswith('character') -%}
        cast({{ sql }} as {{ dbt.type_string() }})
    {%- else -%}
        {{ return(adapter.dispatch('crm_adapter_timestamp', 'crm_metrics')(
            sql, 'time zone' in data_type or data_type.startswith('timestamptz')
        )) }}
    {%- endif -%}
{%- endmacro -%}

{%- macro default__crm_adapter_timestamp(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        strftime(cast(timezone('UTC', {{ sql }}) as timestamp), '%Y-%m-%d %H:%M:%S')
    {%- else -%}
        strftime(cast({{ sql }} as timestamp), '%Y-%m-%d %H:%M:%S')
    {%- endif -%}
{%- endmacro -%}

{%- macro postgres__crm_adapter_timestamp(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        to_char({{ sql }} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')
    {%- else -%}
        to_char(cast({{ sql }} as timestamp), 'YYYY-MM-DD HH24:MI:SS')
    {%- endif -%}
{%- endmacro -%}

{%- macro spark__crm_adapter_timestamp(sql, with_time_zone) -%}
    date_format(to_utc_timestamp(cast({{ sql }} as timestamp), 'UTC'), 'yyyy-MM-dd HH:mm:ss')
{%- endmacro -%}


{#-
    True when a row of a table is an active version: _fivetran_active true, or null (a
    soft-delete table may carry the column empty; Fivetran's dbt_salesforce_source reads such
    rows as current too: `where coalesce(_fivetran_active, true)`). `columns`: the table's
    crm_adapter_columns.
-#}
{%- macro crm_adapter_active(columns) -%}
    coalesce(cast({{ columns['_fivetran_active'].sql }} as boolean), true)
{%- endmacro -%}


{#- True when a connector flag column (is_deleted, _fivetran_deleted, ...) is true; null = false. -#}
{%- macro crm_adapter_flag(column) -%}
    {%- if column['sql'] == 'null' -%}
        false
    {%- else -%}
        coalesce(cast({{ column['sql'] }} as boolean), false)
    {%- endif -%}
{%- endmacro -%}


{#-
    The adapter's reject reason column, for a row read through crm_adapter_records: a record
    the source deleted is 'deleted_in_source': Salesforce's is_deleted or Fivetran's
    _fivetran_deleted true, or, in a history-mode table, no active version. Then the optional
    extra (condition, reason) pairs. Staging puts it before every other check, so a deleted
    row is rejected (and counted) with this reason and its dependants with parent_rejected.
    `columns`: the table's crm_adapter_columns. `versions`: the rows are a history table's
    versions read on purpose (the history-mode opportunity, HubSpot's deal_stage), whose
    inactive rows are past versions, not deleted records.
-#}
{%- macro crm_adapter_deleted_reason(columns, extra=[], versions=false) -%}
    case
        when {{ crm_metrics.crm_adapter_flag(columns['is_deleted']) }} then 'deleted_in_source'
        when {{ crm_metrics.crm_adapter_flag(columns['_fivetran_deleted']) }} then 'deleted_in_source'
        {%- if columns['_fivetran_active'].sql != 'null' and not versions %}
        when not {{ crm_metrics.crm_adapter_active(columns) }} then 'deleted_in_source'
        {%- endif %}
        {%- for condition, reason in extra %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end
{%- endmacro -%}


{#-
    The contract role of a user, from var crm_role_mapping: a list of rules tried in order, the
    first match wins; each rule has `role` (AE, SDR, SE, MANAGER, OTHER) and either `user_ids`
    (a list of user ids as the connector writes them) or `name_like` (a case-insensitive SQL LIKE
    pattern matched against `name_expr`: the Salesforce role or profile name). No match: var
    crm_default_role (AE). Default rules: crm_default_role_mapping().
-#}
{%- macro crm_adapter_role(user_id_expr, name_exprs=[]) -%}
    {%- set rules = var('crm_role_mapping', none) -%}
    {%- if rules is none -%}{%- set rules = crm_metrics.crm_default_role_mapping() -%}{%- endif -%}
    {%- set roles = ['AE', 'SDR', 'SE', 'MANAGER', 'OTHER'] -%}
    {%- set default_role = var('crm_default_role', 'AE') -%}
    {%- if default_role not in roles -%}
        {{ exceptions.raise_compiler_error(
            "var crm_default_role must be one of " ~ (roles | join(', ')) ~ ", got " ~ (default_role | tojson) ~ "."
        ) }}
    {%- endif -%}
    {%- set applicable = [] -%}
    {%- for rule in rules -%}
        {%- if rule is not mapping or rule.get('role') not in roles
            or not (rule.get('user_ids') or rule.get('name_like')) -%}
            {{ exceptions.raise_compiler_error(
                "var crm_role_mapping: rule " ~ loop.index ~ " needs role (one of "
                ~ (roles | join(', ')) ~ ") and user_ids or name_like, got " ~ (rule | tojson) ~ "."
            ) }}
        {%- endif -%}
        {#- name_like rules apply only where there are names (Salesforce roles / profiles) #}
        {%- if rule.get('user_ids') or name_exprs -%}
            {%- do applicable.append(rule) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not applicable -%}
        {{ return("'" ~ default_role ~ "'") }}
    {%- endif %}
    case
    {%- for rule in applicable %}
        {%- if rule.get('user_ids') %}
        when {{ user_id_expr }} in (
            {%- for user_id in rule['user_ids'] -%}
                {{ crm_metrics.crm_sql_string(user_id) }}{{ ", " if not loop.last }}
            {%- endfor -%}
        ) then '{{ rule['role'] }}'
        {%- else %}
            {%- for name_expr in name_exprs %}
        when lower({{ name_expr }}) like {{ crm_metrics.crm_sql_string(rule['name_like'] | lower) }} then '{{ rule['role'] }}'
            {%- endfor %}
        {%- endif %}
    {%- endfor %}
        else '{{ default_role }}'
    end
{%- endmacro -%}


{#-
    Default role rules for Salesforce role and profile names (HubSpot has none: everyone is
    crm_default_role). First match wins, so presales and development titles come before the
    generic manager words.
-#}
{%- macro crm_default_role_mapping() -%}
    {{ return([
        {'name_like': '%sales engineer%', 'role': 'SE'},
        {'name_like': '%solution%', 'role': 'SE'},
        {'name_like': '%presales%', 'role': 'SE'},
        {'name_like': '%pre-sales%', 'role': 'SE'},
        {'name_like': '%sdr%', 'role': 'SDR'},
        {'name_like': '%bdr%', 'role': 'SDR'},
        {'name_like': '%development rep%', 'role': 'SDR'},
        {'name_like': '%account exec%', 'role': 'AE'},
        {'name_like': '%manager%', 'role': 'MANAGER'},
        {'name_like': '%director%', 'role': 'MANAGER'},
        {'name_like': '%head of%', 'role': 'MANAGER'},
        {'name_like': '%vp%', 'role': 'MANAGER'},
        {'name_like': '%vice president%', 'role': 'MANAGER'},
    ]) }}
{%- endmacro -%}

{#-
    Salesforce: the contract activity type a task or event's Type, then its Subject, names,
    from var salesforce_activity_type_mapping: a list of rules `{name_like: <a case-insensitive
    SQL LIKE pattern>, activity_type: demo | poc | rfp | call | email | meeting | other}`,
    tried in order on Type, then in order on Subject; the first match wins. No match: `other`
    (the caller takes it from there). Default rules:
    crm_default_salesforce_activity_type_mapping().
-#}
{%- macro crm_salesforce_activity_type(type_expr, subject_expr) -%}
    {%- set rules = var('salesforce_activity_type_mapping', none) -%}
    {%- if rules is none -%}
        {%- set rules = crm_metrics.crm_default_salesforce_activity_type_mapping() -%}
    {%- endif -%}
    {%- set types = ['call', 'email', 'meeting', 'demo', 'poc', 'rfp', 'other'] -%}
    {%- for rule in rules -%}
        {%- if rule is not mapping or rule.get('activity_type') not in types or not rule.get('name_like') -%}
            {{ exceptions.raise_compiler_error(
                "var salesforce_activity_type_mapping: rule " ~ loop.index ~ " needs name_like (a "
                ~ "LIKE pattern on the Salesforce task / event Type, then Subject) and activity_type (one of "
                ~ (types | join(', ')) ~ "), got " ~ (rule | tojson) ~ "."
            ) }}
        {%- endif -%}
    {%- endfor %}
    case
    {%- for expr in [type_expr, subject_expr] if expr != 'null' %}
        {%- for rule in rules %}
        when lower({{ expr }}) like {{ crm_metrics.crm_sql_string(rule['name_like'] | lower) }}
            then '{{ rule['activity_type'] }}'
        {%- endfor %}
    {%- endfor %}
        else 'other'
    end
{%- endmacro -%}


{%- macro crm_default_salesforce_activity_type_mapping() -%}
    {{ return([
        {'name_like': '%demo%', 'activity_type': 'demo'},
        {'name_like': '%poc%', 'activity_type': 'poc'},
        {'name_like': '%proof of concept%', 'activity_type': 'poc'},
        {'name_like': '%pilot%', 'activity_type': 'poc'},
        {'name_like': '%rfp%', 'activity_type': 'rfp'},
        {'name_like': '%rfi%', 'activity_type': 'rfp'},
        {'name_like': '%questionnaire%', 'activity_type': 'rfp'},
    ]) }}
{%- endmacro -%}


{#-
    HubSpot: the select of the stage labels of the pipeline var hubspot_pipeline_id (stage_id,
    stage_name: the label), which the deal and the stage-history adapters name stages by.
-#}
{%- macro crm_hubspot_stage_labels() -%}
    {%- set stage = crm_metrics.crm_adapter_columns(
        source('fivetran_hubspot', 'deal_pipeline_stage'),
        required=['stage_id', 'pipeline_id', 'label'],
    ) -%}
    select
        {{ crm_adapter_text(stage.stage_id.sql) }} as stage_id,
        {{ crm_adapter_text(stage.label.sql) }} as stage_name
    from {{ crm_adapter_records(source('fivetran_hubspot', 'deal_pipeline_stage'), stage, 'stage_id') }}
    where
        {{ crm_adapter_text(stage.pipeline_id.sql) }}
        = {{ crm_sql_string(var('hubspot_pipeline_id', 'default')) }}
{%- endmacro -%}


{#-
    A connector timestamp column (an entry of crm_adapter_columns) as a timestamp in UTC, to
    the millisecond: one with a time zone is converted, a plain one taken as UTC, a text one
    cast. For ordering changes and for source_order; crm_adapter_timestamp writes the text.
-#}
{%- macro crm_adapter_utc(column) -%}
    {%- set data_type = column['type'] or '' -%}
    {%- if column['sql'] == 'null' -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ return(adapter.dispatch('crm_adapter_utc', 'crm_metrics')(
            column['sql'], 'time zone' in data_type or data_type.startswith('timestamptz')
        )) }}
    {%- endif -%}
{%- endmacro -%}

{%- macro default__crm_adapter_utc(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        cast(timezone('UTC', {{ sql }}) as timestamp)
    {%- else -%}
        cast({{ sql }} as timestamp)
    {%- endif -%}
{%- endmacro -%}

{%- macro postgres__crm_adapter_utc(sql, with_time_zone) -%}
    {%- if with_time_zone -%}
        ({{ sql }} at time zone 'UTC')
    {%- else -%}
        cast({{ sql }} as timestamp)
    {%- endif -%}
{%- endmacro -%}

{%- macro spark__crm_adapter_utc(sql, with_time_zone) -%}
    cast({{ sql }} as timestamp)
{%- endmacro -%}


{#- A UTC timestamp as whole milliseconds since 1970-01-01 (a bigint). -#}
{%- macro crm_adapter_epoch_ms(expr) -%}
    {{ return(adapter.dispatch('crm_adapter_epoch_ms', 'crm_metrics')(expr)) }}
{%- endmacro -%}

{%- macro default__crm_adapter_epoch_ms(expr) -%}
    epoch_ms({{ expr }})
{%- endmacro -%}

{%- macro postgres__crm_adapter_epoch_ms(expr) -%}
    cast(floor(extract(epoch from {{ expr }}) * 1000) as bigint)
{%- endmacro -%}

{%- macro spark__crm_adapter_epoch_ms(expr) -%}
    unix_millis({{ expr }})
{%- endmacro -%}


{#- Milliseconds since 1970-01-01 (a bigint) as the UTC date, 'YYYY-MM-DD' text. -#}
{%- macro crm_adapter_epoch_ms_date(expr) -%}
    {{ return(adapter.dispatch('crm_adapter_epoch_ms_date', 'crm_metrics')(expr)) }}
{%- endmacro -%}

{%- macro default__crm_adapter_epoch_ms_date(expr) -%}
    strftime(epoch_ms({{ expr }}), '%Y-%m-%d')
{%- endmacro -%}

{%- macro postgres__crm_adapter_epoch_ms_date(expr) -%}
    to_char(to_timestamp({{ expr }} / 1000.0) at time zone 'UTC', 'YYYY-MM-DD')
{%- endmacro -%}

{%- macro spark__crm_adapter_epoch_ms_date(expr) -%}
    date_format(to_utc_timestamp(timestamp_millis({{ expr }}), current_timezone()), 'yyyy-MM-dd')
{%- endmacro -%}


{#-
    A CRM's ticket priority as the contract's (`low`, `normal`, `high`, `urgent`): both CRMs'
    Medium is normal, Salesforce's Critical and HubSpot's URGENT are urgent, matched
    case-insensitively after trimming. Any other value is passed through (trimmed) for staging
    to report as outside the enum; empty is null. The Python importers
    (crm_metrics.importers.common.ticket_priority_sql) apply the same table.
-#}
{%- macro crm_ticket_priority(expr) -%}
    {%- set text = crm_metrics.crm_adapter_text(expr) -%}
    case lower(trim({{ text }}))
        when 'low' then 'low'
        when 'medium' then 'normal'
        when 'normal' then 'normal'
        when 'high' then 'high'
        when 'urgent' then 'urgent'
        when 'critical' then 'urgent'
        else nullif(trim({{ text }}), '')
    end
{%- endmacro -%}
