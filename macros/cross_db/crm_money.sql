{#
    The money rule, in one place (stated for users in the README, "What you get"; the method in
    docs/money.md). Money in the reporting currency is decimal(18, 2). A plain sum or
    difference of money is exact on every engine. Every other amount (a conversion, a weighting,
    an average, a median) is computed exactly in decimal and rounded once, half away from zero,
    to the cent, where the spec dates the amount (a history row, a subscription, a line item, a
    deal's weighting at an instant; an average or median where it is taken). So DuckDB,
    PostgreSQL and Spark give the same cents.

    Raw numbers are parsed to double in staging (crm_parse_number). A double read from a text of
    at most 15 significant digits turns back into exactly that text when cast to a decimal of no
    more places than the text had (DuckDB scales and rounds the double, PostgreSQL and Spark
    spell it in decimal first), so money is read back as decimal before any arithmetic:
    - an amount (in its own currency, a price, a quantity, a target): crm_amount_decimal,
      4 decimal places, below 10^14;
    - a factor (an exchange rate, a probability, a non-money ratio that weighs money):
      crm_factor_decimal, 12 decimal places, below 10^7. A ratio computed in double is the same
      double on every engine (the same operations on the same decimal inputs) and so the same
      12-place decimal.
    Their product is decimal(37, 16) on DuckDB and decimal(38, 16) on Spark (which adds a digit
    to a product's precision and, past 38, drops decimal places:
    spark.sql.decimalOperations.allowPrecisionLoss): exact on all three.
#}

{#- The data type of money in the reporting currency, in every fact and mart. -#}
{% macro crm_money_type() -%}
    decimal(18, 2)
{%- endmacro %}

{% macro crm_amount_decimal(expr) -%}
    cast({{ expr }} as decimal(18, 4))
{%- endmacro %}

{% macro crm_factor_decimal(expr) -%}
    cast({{ expr }} as decimal(19, 12))
{%- endmacro %}

{#-
    A decimal expression rounded half away from zero to the cent, as money. round() on a decimal
    rounds half away from zero on DuckDB, PostgreSQL (numeric) and Spark (HALF_UP). Never give it
    a double: PostgreSQL has no round(double precision, integer), so the PostgreSQL build fails
    on one.
-#}
{% macro crm_money(expr) -%}
    cast(round({{ expr }}, 2) as {{ crm_metrics.crm_money_type() }})
{%- endmacro %}

{#- amount × factor, exact, rounded once to the cent: a conversion or a weighting. -#}
{% macro crm_money_product(amount, factor) -%}
    {{ crm_metrics.crm_money(
        crm_metrics.crm_amount_decimal(amount) ~ ' * ' ~ crm_metrics.crm_factor_decimal(factor)
    ) }}
{%- endmacro %}

{#-
    An amount (a decimal of at most 4 places: a sum of money or of crm_amount_decimal) divided by
    a count, rounded half away from zero to the cent; null when the count is null or not
    positive. Exact on every engine: with u the amount in units of 0.0001 and d = 100 × count,
    the cents are the whole numbers floor((2 × |u| + d) / (2 × d)), with the amount's sign (DuckDB would divide decimals in double, Spark to 6 places, PostgreSQL to
    16 significant digits). An average is crm_money_divide('sum(x)', 'count(x)'); the median of
    two amounts is their sum divided by 2.
-#}
{% macro crm_money_divide(numerator, denominator) -%}
    {#- widened before the multiplication: an amount of decimal(18, x) times 10000 overflows
        DuckDB's 18-digit decimal from about 10^12 (a month's MRR at a few million deals) -#}
    {%- set units = 'cast(cast((' ~ numerator ~ ') as decimal(38, 4)) * 10000 as decimal(38, 0))' -%}
    {%- set count = 'cast(' ~ denominator ~ ' as decimal(38, 0))' -%}
    {#- the cast outside the case: PostgreSQL's case drops the scale of its branches #}
    cast(
        case
            when {{ count }} > 0
                then (case when {{ units }} < 0 then -1 else 1 end)
                * cast({{ crm_metrics.crm_integer_divide(
                    '2 * abs(' ~ units ~ ') + 100 * ' ~ count, '200 * ' ~ count
                ) }} as decimal(36, 0))
                * cast(0.01 as decimal(2, 2))
        end
        as {{ crm_metrics.crm_money_type() }}
    )
{%- endmacro %}

{#- The whole part of a / b for non-negative whole decimals, exact. -#}
{% macro crm_integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('crm_integer_divide', 'crm_metrics')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__crm_integer_divide(numerator, denominator) -%}
    div({{ numerator }}, {{ denominator }})
{%- endmacro %}

{#- DuckDB's // on decimals divides in double; on hugeint it is exact. -#}
{% macro duckdb__crm_integer_divide(numerator, denominator) -%}
    (cast({{ numerator }} as hugeint) // cast({{ denominator }} as hugeint))
{%- endmacro %}

{% macro spark__crm_integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}
