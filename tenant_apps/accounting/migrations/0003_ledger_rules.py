"""The ledger's rules as triggers and an exclusion constraint: lines are written only while
their entry is a draft, posted entries are immutable and balance (in total and per fund), closed
periods refuse postings and keep their dates, periods do not overlap.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to these rules is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).

0004 has since replaced accounting_entry_guard and accounting_entry_balanced.
"""

from django.db import migrations

FORWARD = """-- Rules of the ledger that the database enforces whatever writes to it (ORM, raw SQL, COPY).
-- Each function qualifies table names with the schema of the table that fired it, so a check
-- that runs at commit reads the right tenant even if the connection's search_path has moved on.

-- Lines may be written only while their entry is a draft; an expense line carries a function;
-- a line in a fund without donor restrictions is in the without-restrictions class.
CREATE FUNCTION accounting_lines_check() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER accounting_lines_insert AFTER INSERT ON accounting_journalline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_lines_check();
CREATE TRIGGER accounting_lines_update AFTER UPDATE ON accounting_journalline
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_lines_check();
CREATE TRIGGER accounting_lines_delete AFTER DELETE ON accounting_journalline
    REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION accounting_lines_check();

-- Posted entries are immutable: the one change allowed is posted -> reversed, nothing else.
-- Posting (inserting or updating to posted) is refused in a closed period.
CREATE FUNCTION accounting_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER accounting_entry_guard BEFORE INSERT OR UPDATE OR DELETE
    ON accounting_journalentry
    FOR EACH ROW EXECUTE FUNCTION accounting_entry_guard();

-- A posted entry balances in total and within each fund, and has at least two lines. Deferred
-- to commit, so the entry and its lines can be written in any order inside one transaction.
CREATE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$;

CREATE CONSTRAINT TRIGGER accounting_entry_balanced AFTER INSERT OR UPDATE
    ON accounting_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.state = 'posted')
    EXECUTE FUNCTION accounting_entry_balanced();

-- A closed period keeps its dates and cannot be deleted; it is reopened first.
CREATE FUNCTION accounting_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' AND (TG_OP = 'DELETE' OR NEW.start <> OLD.start
                                 OR NEW."end" <> OLD."end") THEN
        RAISE EXCEPTION 'the period starting % is closed: reopen it before changing it',
            OLD.start USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounting_period_guard BEFORE UPDATE OR DELETE ON accounting_fiscalperiod
    FOR EACH ROW EXECUTE FUNCTION accounting_period_guard();

ALTER TABLE accounting_fiscalperiod ADD CONSTRAINT fiscalperiod_no_overlap
    EXCLUDE USING gist (daterange(start, "end", '[]') WITH &&);
"""

REVERSE = """ALTER TABLE accounting_fiscalperiod DROP CONSTRAINT fiscalperiod_no_overlap;
DROP TRIGGER accounting_period_guard ON accounting_fiscalperiod;
DROP FUNCTION accounting_period_guard();
DROP TRIGGER accounting_entry_balanced ON accounting_journalentry;
DROP FUNCTION accounting_entry_balanced();
DROP TRIGGER accounting_entry_guard ON accounting_journalentry;
DROP FUNCTION accounting_entry_guard();
DROP TRIGGER accounting_lines_insert ON accounting_journalline;
DROP TRIGGER accounting_lines_update ON accounting_journalline;
DROP TRIGGER accounting_lines_delete ON accounting_journalline;
DROP FUNCTION accounting_lines_check();
"""


class Migration(migrations.Migration):
    dependencies = [("accounting", "0002_journal")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
