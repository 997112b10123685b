{#
    Buyer personas from job titles (mart_conversions_by_title), by var `persona_rules`: an
    ordered list of {persona, keywords}. The rules, stated for users in the mart's YAML:
      - a title and a keyword are read as words, a word being a run of letters or digits
        (case-insensitive); a keyword of several words matches those words in a row;
      - a keyword match that overlaps a match of a longer keyword (more words, of any persona)
        does not count, so "Vice President" matches `vice president` and not `president`;
      - the title gets the first persona in the list with a counting match,
        `individual_contributor` when none has one, and `unknown` when it has no word at all
        (null, empty or only punctuation).

    Method, portable to DuckDB, PostgreSQL and Spark without exploding titles into rows:
    crm_title_words spells a title as its words each wrapped in bars, `|vice||president|`, so
    a keyword matches exactly when the wrapped keyword, `|vice||president|`, is a substring
    (bars keep whole words, and wrapping each word keeps two matches from sharing a
    character). Before testing a keyword, every occurrence of each longer keyword is replaced
    by `#`, longest first: an occurrence overlapping a longer match loses a bar or a letter and
    no longer matches, while occurrences elsewhere in the title still do ("President and Vice
    President" is executive).
#}

{#- The rules of var persona_rules as a list of {persona, keywords: [[word, ...], ...]},
    checked: a rule without a persona name or keywords, or a keyword without a word, fails the
    build naming it. -#}
{% macro crm_persona_rules() %}
    {%- set rules = var('persona_rules') -%}
    {%- set parsed = [] -%}
    {%- for rule in rules -%}
        {%- if rule is not mapping or not rule.get('persona') or not rule.get('keywords')
            or rule['keywords'] is string -%}
            {{ exceptions.raise_compiler_error(
                "var persona_rules: each rule needs a persona and a list of keywords, got "
                ~ rule) }}
        {%- endif -%}
        {%- if rule['persona'] in ('unknown', 'individual_contributor') -%}
            {{ exceptions.raise_compiler_error(
                "var persona_rules: persona '" ~ rule['persona'] ~ "' is reserved (given to "
                ~ "titles without a word, or without a match)") }}
        {%- endif -%}
        {%- set keywords = [] -%}
        {%- for keyword in rule['keywords'] -%}
            {%- set words = crm_metrics.crm_keyword_words(keyword | string) -%}
            {%- if words | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "var persona_rules: keyword '" ~ keyword ~ "' of persona '"
                    ~ rule['persona'] ~ "' has no letter or digit") }}
            {%- endif -%}
            {%- do keywords.append(words) -%}
        {%- endfor -%}
        {%- do parsed.append({'persona': rule['persona'] | string, 'keywords': keywords}) -%}
    {%- endfor -%}
    {{ return(parsed) }}
{% endmacro %}

{#- A keyword's words: lower case, split at every character that is not a letter or digit. -#}
{% macro crm_keyword_words(keyword) %}
    {%- set words = [] -%}
    {%- set ns = namespace(word='') -%}
    {%- for char in (keyword | lower) -%}
        {%- if char.isalnum() -%}
            {%- set ns.word = ns.word ~ char -%}
        {%- else -%}
            {%- if ns.word -%}{%- do words.append(ns.word) -%}{%- endif -%}
            {%- set ns.word = '' -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.word -%}{%- do words.append(ns.word) -%}{%- endif -%}
    {{ return(words) }}
{% endmacro %}

{#- A title spelled as its words, each wrapped in bars: `|vice||president|` (a title without a
    word gives only bars or null). -#}
{% macro crm_title_words(expr) -%}
    {{ return(adapter.dispatch('crm_title_words', 'crm_metrics')(expr)) }}
{%- endmacro %}

{% macro default__crm_title_words(expr) -%}
    {{ dbt.concat(["'|'", "regexp_replace(lower(" ~ expr ~ "), '[^\\p{L}\\p{N}]+', '||', 'g')", "'|'"]) }}
{%- endmacro %}

{% macro postgres__crm_title_words(expr) -%}
    {{ dbt.concat(["'|'", "regexp_replace(lower(" ~ expr ~ "), '[^[:alnum:]]+', '||', 'g')", "'|'"]) }}
{%- endmacro %}

{% macro spark__crm_title_words(expr) -%}
    {{ dbt.concat(["'|'", "regexp_replace(lower(" ~ expr ~ "), '[^\\\\p{L}\\\\p{N}]+', '||')", "'|'"]) }}
{%- endmacro %}

{#- The persona of a title given as crm_title_words (`words_expr`), by var persona_rules. -#}
{% macro crm_persona(words_expr) -%}
    {%- set rules = crm_metrics.crm_persona_rules() -%}
    {%- set all_keywords = [] -%}
    {%- for rule in rules -%}
        {%- for words in rule['keywords'] -%}
            {%- set wrapped = '|' ~ (words | join('||')) ~ '|' -%}
            {%- if wrapped not in all_keywords | map(attribute='wrapped') | list -%}
                {%- do all_keywords.append({'wrapped': wrapped, 'length': words | length}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    case
        when {{ words_expr }} is null or replace({{ words_expr }}, '|', '') = '' then 'unknown'
    {%- for rule in rules %}
        when
        {%- for words in rule['keywords'] %}
            {%- set length = words | length -%}
            {%- set ns = namespace(masked=words_expr) -%}
            {%- for longer in all_keywords | sort(attribute='length', reverse=true)
                if longer['length'] > length -%}
                {%- set ns.masked = "replace(" ~ ns.masked ~ ", '" ~ longer['wrapped'] ~ "', '#')" -%}
            {%- endfor %}
            {{ 'or ' if not loop.first }}{{ ns.masked }} like '%|{{ words | join("||") }}|%'
        {%- endfor %}
            then '{{ rule['persona'] }}'
    {%- endfor %}
        else 'individual_contributor'
    end
{%- endmacro %}
