{#-
    The sales region of a country (mart_sales_by_region), in one place.

    Var region_by_country maps a country code (as accounts.country holds it, trimmed and
    upper-cased) to a region name, e.g. {US: AMER, GB: EMEA, DE: DACH}. Unset (null), the
    default below applies: every ISO 3166-1 alpha-2 code (249) by its UN M49 region, the
    Americas AMER; Europe, Africa and Western Asia EMEA; the rest of Asia (Central, Eastern,
    South-eastern and Southern) and Oceania APAC. AQ (Antarctica) belongs to no M49 region and
    is `other`, as is any code the map does not hold (country `unknown` is region `unknown`). M49 lists Taiwan (TW) under neither name;
    it is placed with Eastern Asia (APAC). Bouvet Island (BV) and South Georgia (GS) are South
    America in M49 (AMER); the British Indian Ocean Territory (IO) and the French Southern
    Territories (TF) are Eastern Africa (EMEA); the US Minor Outlying Islands (UM) are
    Micronesia (APAC).
-#}
{% macro crm_default_region_countries() -%}
    {{ return({
        'AMER': [
            'AG', 'AI', 'AR', 'AW', 'BB', 'BL', 'BM', 'BO', 'BQ', 'BR', 'BS', 'BV', 'BZ', 'CA',
            'CL', 'CO', 'CR', 'CU', 'CW', 'DM', 'DO', 'EC', 'FK', 'GD', 'GF', 'GL', 'GP', 'GS',
            'GT', 'GY', 'HN', 'HT', 'JM', 'KN', 'KY', 'LC', 'MF', 'MQ', 'MS', 'MX', 'NI', 'PA',
            'PE', 'PM', 'PR', 'PY', 'SR', 'SV', 'SX', 'TC', 'TT', 'US', 'UY', 'VC', 'VE', 'VG',
            'VI',
        ],
        'EMEA': [
            'AD', 'AL', 'AT', 'AX', 'BA', 'BE', 'BG', 'BY', 'CH', 'CZ', 'DE', 'DK', 'EE', 'ES',
            'FI', 'FO', 'FR', 'GB', 'GG', 'GI', 'GR', 'HR', 'HU', 'IE', 'IM', 'IS', 'IT', 'JE',
            'LI', 'LT', 'LU', 'LV', 'MC', 'MD', 'ME', 'MK', 'MT', 'NL', 'NO', 'PL', 'PT', 'RO',
            'RS', 'RU', 'SE', 'SI', 'SJ', 'SK', 'SM', 'UA', 'VA',
            'AO', 'BF', 'BI', 'BJ', 'BW', 'CD', 'CF', 'CG', 'CI', 'CM', 'CV', 'DJ', 'DZ', 'EG',
            'EH', 'ER', 'ET', 'GA', 'GH', 'GM', 'GN', 'GQ', 'GW', 'IO', 'KE', 'KM', 'LR', 'LS',
            'LY', 'MA', 'MG', 'ML', 'MR', 'MU', 'MW', 'MZ', 'NA', 'NE', 'NG', 'RE', 'RW', 'SC',
            'SD', 'SH', 'SL', 'SN', 'SO', 'SS', 'ST', 'SZ', 'TD', 'TF', 'TG', 'TN', 'TZ', 'UG',
            'YT', 'ZA', 'ZM', 'ZW',
            'AE', 'AM', 'AZ', 'BH', 'CY', 'GE', 'IL', 'IQ', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA',
            'SA', 'SY', 'TR', 'YE',
        ],
        'APAC': [
            'AF', 'BD', 'BN', 'BT', 'CN', 'HK', 'ID', 'IN', 'IR', 'JP', 'KG', 'KH', 'KP', 'KR',
            'KZ', 'LA', 'LK', 'MM', 'MN', 'MO', 'MV', 'MY', 'NP', 'PH', 'PK', 'SG', 'TH', 'TJ',
            'TL', 'TM', 'TW', 'UZ', 'VN',
            'AS', 'AU', 'CC', 'CK', 'CX', 'FJ', 'FM', 'GU', 'HM', 'KI', 'MH', 'MP', 'NC', 'NF',
            'NR', 'NU', 'NZ', 'PF', 'PG', 'PN', 'PW', 'SB', 'TK', 'TO', 'TV', 'UM', 'VU', 'WF',
            'WS',
        ],
        'other': ['AQ'],
    }) }}
{%- endmacro %}

{#- The map in use: var region_by_country, or the default (country code → region). -#}
{% macro crm_region_by_country() -%}
    {%- set configured = var('region_by_country', none) -%}
    {%- if configured is not none -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- set mapping = {} -%}
    {%- for region, countries in crm_metrics.crm_default_region_countries().items() -%}
        {%- for country in countries -%}
            {%- do mapping.update({country: region}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(mapping) }}
{%- endmacro %}

{#-
    The region of a country expression (already trimmed and upper-cased, `unknown` when null or
    empty): a case over the map's regions; `unknown` for country `unknown`, `other` for a code
    the map does not hold.
-#}
{% macro crm_region(country_expr) -%}
    {%- set by_region = {} -%}
    {%- for country, region in crm_metrics.crm_region_by_country().items() -%}
        {%- do by_region.setdefault(region, []).append(country | string | trim | upper) -%}
    {%- endfor -%}
    case
        when {{ country_expr }} = 'unknown' then 'unknown'
        {%- for region in by_region | sort %}
        when {{ country_expr }} in (
            {%- for country in by_region[region] | sort -%}
                '{{ country | replace("'", "''") }}'{{ ", " if not loop.last }}
            {%- endfor -%}
        ) then '{{ region | replace("'", "''") }}'
        {%- endfor %}
        else 'other'
    end
{%- endmacro %}
