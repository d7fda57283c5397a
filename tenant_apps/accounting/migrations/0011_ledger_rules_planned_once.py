"""The lines' check (accounting_lines_check) as static SQL with the tenant's search path pinned,
as 0004 made the per-entry checks, and the entry guard's closed-period test planned once a
session; reversing restores the lines' check as 0003 created it and the guard as 0004 did.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to these checks is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).
"""

from django.db import migrations

FORWARD = """-- The lines' check ran its queries through EXECUTE, so PostgreSQL planned a four-table join
-- on every statement that wrote lines (about 0.5 ms of planning, more than the check itself).
-- As static SQL it is planned once a session. Its queries name tables through the search path,
-- so the function pins the search path it was created with (its own tenant's schema), as
-- 0004's functions do: a check then reads the right tenant whatever the connection's path.

CREATE OR REPLACE FUNCTION accounting_lines_check() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    problem text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT format('journal entry %s is %s: its lines cannot be changed', e.id, e.state)
          INTO problem
          FROM old_lines l JOIN accounting_journalentry e ON e.id = l.entry_id
         WHERE e.state <> 'draft'
         LIMIT 1;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT CASE
                 WHEN e.state <> 'draft' THEN
                   format('journal entry %s is %s: lines cannot be added', e.id, e.state)
                 WHEN a.type = 'expense' AND l.function IS NULL THEN
                   format('expense account %s needs a function on every line', a.code)
                 WHEN f.restriction = 'without' AND l.net_asset_class <> 'without' THEN
                   format('fund %s has no donor restriction: its lines are in the '
                          'without-restrictions class', f.code)
               END
          INTO problem
          FROM new_lines l
          JOIN accounting_journalentry e ON e.id = l.entry_id
          JOIN accounting_account a ON a.id = l.account_id
          JOIN accounting_fund f ON f.id = l.fund_id
         WHERE e.state <> 'draft'
            OR (a.type = 'expense' AND l.function IS NULL)
            OR (f.restriction = 'without' AND l.net_asset_class <> 'without')
         LIMIT 1;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- The guard tested `NEW.state = 'posted' AND EXISTS (...closed period...)` as one expression.
-- For a draft the planner folds that to false, so its plans for drafts cost nothing and it kept
-- planning the expression afresh on every call instead of settling on one plan. The period is
-- now looked up only for a posted entry, in a query of the date alone, planned once a session.
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
    IF NEW.state = 'posted' THEN
        IF EXISTS (
            SELECT 1 FROM accounting_fiscalperiod
             WHERE state = 'closed' AND NEW.date BETWEEN start AND "end"
        ) THEN
            RAISE EXCEPTION 'the period of % is closed: nothing can be posted on that date',
                NEW.date USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
"""

# Unpin the lines' check, then put it back as 0003 defined it, and the guard as 0004 did.
REVERSE = (
    "ALTER FUNCTION accounting_lines_check() RESET search_path;"
    """CREATE OR REPLACE FUNCTION accounting_lines_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format(
            'SELECT format(''journal entry %%s is %%s: its lines cannot be changed'', e.id, e.state)
               FROM old_lines l JOIN %1$I.accounting_journalentry e ON e.id = l.entry_id
              WHERE e.state <> ''draft'' LIMIT 1', TG_TABLE_SCHEMA) INTO problem;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(
            'SELECT CASE
                      WHEN e.state <> ''draft'' THEN
                        format(''journal entry %%s is %%s: lines cannot be added'', e.id, e.state)
                      WHEN a.type = ''expense'' AND l.function IS NULL THEN
                        format(''expense account %%s needs a function on every line'', a.code)
                      WHEN f.restriction = ''without'' AND l.net_asset_class <> ''without'' THEN
                        format(''fund %%s has no donor restriction: its lines are in the ''
                               ''without-restrictions class'', f.code)
                    END
               FROM new_lines l
               JOIN %1$I.accounting_journalentry e ON e.id = l.entry_id
               JOIN %1$I.accounting_account a ON a.id = l.account_id
               JOIN %1$I.accounting_fund f ON f.id = l.fund_id
              WHERE e.state <> ''draft''
                 OR (a.type = ''expense'' AND l.function IS NULL)
                 OR (f.restriction = ''without'' AND l.net_asset_class <> ''without'')
              LIMIT 1', TG_TABLE_SCHEMA) INTO problem;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$$;
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
$$;"""
)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0010_balances_kept")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
