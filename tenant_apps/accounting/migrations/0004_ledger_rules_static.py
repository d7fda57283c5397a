"""The per-entry ledger checks (accounting_entry_guard, accounting_entry_balanced) as static SQL
with the tenant's search path pinned; reversing restores both functions as 0003 created them.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to these checks is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).
"""

from django.db import migrations

FORWARD = """-- The per-entry checks as static SQL, so PostgreSQL plans them once per session instead of on
-- every call (EXECUTE re-plans each time: about 320 us a posted entry against 40 us). Static SQL
-- names tables through the search path, so each function pins the search path it was created
-- with: its own tenant's schema. A check that runs at commit then reads the right tenant even if
-- the connection has moved to another schema since.

CREATE OR REPLACE FUNCTION accounting_entry_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'journal entry % is %: it cannot be deleted; reverse it instead',
                OLD.id, OLD.state USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.state <> 'draft' THEN
        IF OLD.state = 'posted' AND NEW.state = 'reversed'
           AND to_jsonb(NEW) - 'state' = to_jsonb(OLD) - 'state' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'journal entry % is %: it cannot be changed; reverse it instead',
            OLD.id, OLD.state USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'reversed' THEN
        RAISE EXCEPTION 'journal entry % cannot be reversed before it is posted', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'posted' AND EXISTS (
        SELECT 1 FROM accounting_fiscalperiod
         WHERE state = 'closed' AND NEW.date BETWEEN start AND "end"
    ) THEN
        RAISE EXCEPTION 'the period of % is closed: nothing can be posted on that date',
            NEW.date USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    line_count bigint;
    total_debit numeric;
    total_credit numeric;
    unbalanced record;
BEGIN
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, total_debit, total_credit
      FROM accounting_journalline WHERE entry_id = NEW.id;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'posted journal entry % needs at least two lines', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF total_debit <> total_credit THEN
        RAISE EXCEPTION 'posted journal entry % does not balance: debits %, credits %',
            NEW.id, total_debit, total_credit USING ERRCODE = 'check_violation';
    END IF;
    SELECT f.code, sum(l.debit) AS debits, sum(l.credit) AS credits INTO unbalanced
      FROM accounting_journalline l JOIN accounting_fund f ON f.id = l.fund_id
     WHERE l.entry_id = NEW.id
     GROUP BY f.code HAVING sum(l.debit) <> sum(l.credit)
     ORDER BY f.code LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'posted journal entry % does not balance in fund %: debits %, credits %',
            NEW.id, unbalanced.code, unbalanced.debits, unbalanced.credits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
"""

# Unpin the search path, then put back the two functions exactly as 0003 defined them.
REVERSE = (
    "ALTER FUNCTION accounting_entry_guard() RESET search_path;"
    "ALTER FUNCTION accounting_entry_balanced() RESET search_path;"
    """CREATE OR REPLACE FUNCTION accounting_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed_start date;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'journal entry % is %: it cannot be deleted; reverse it instead',
                OLD.id, OLD.state USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.state <> 'draft' THEN
        IF OLD.state = 'posted' AND NEW.state = 'reversed'
           AND to_jsonb(NEW) - 'state' = to_jsonb(OLD) - 'state' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'journal entry % is %: it cannot be changed; reverse it instead',
            OLD.id, OLD.state USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'reversed' THEN
        RAISE EXCEPTION 'journal entry % cannot be reversed before it is posted', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'posted' THEN
        EXECUTE format(
            'SELECT start FROM %I.accounting_fiscalperiod
              WHERE state = ''closed'' AND $1 BETWEEN start AND "end"', TG_TABLE_SCHEMA)
            INTO closed_start USING NEW.date;
        IF closed_start IS NOT NULL THEN
            RAISE EXCEPTION 'the period of % is closed: nothing can be posted on that date',
                NEW.date USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    EXECUTE format(
        'WITH by_fund AS (
             SELECT f.code, sum(l.debit) AS debits, sum(l.credit) AS credits, count(*) AS lines
               FROM %1$I.accounting_journalline l
               JOIN %1$I.accounting_fund f ON f.id = l.fund_id
              WHERE l.entry_id = $1
              GROUP BY f.code)
         SELECT CASE
                  WHEN coalesce(sum(lines), 0) < 2 THEN
                    format(''posted journal entry %%s needs at least two lines'', $1)
                  WHEN sum(debits) <> sum(credits) THEN
                    format(''posted journal entry %%s does not balance: debits %%s, credits %%s'',
                           $1, sum(debits), sum(credits))
                  ELSE (SELECT format(''posted journal entry %%s does not balance in fund %%s: ''
                                      ''debits %%s, credits %%s'', $1, code, debits, credits)
                          FROM by_fund WHERE debits <> credits ORDER BY code LIMIT 1)
                END
           FROM by_fund', TG_TABLE_SCHEMA) INTO problem USING NEW.id;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;"""
)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0003_ledger_rules")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
