-- Up Migration

-- ---------------------------------------------------------------- a statement's own check
-- The engine sends some statements before it has read what they depend on (a finish writes its
-- successes in the round trip that locks the steps: packages/engine/src/step-runner.ts). Such a
-- statement states what it expected as a condition on its own rows and calls this, which fails
-- the transaction when the condition does not hold: the engine then rolls back and does the work
-- the careful way. WF001 is the code the engine recognises.
CREATE FUNCTION weft_check(ok boolean, message text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN RAISE EXCEPTION USING ERRCODE = 'WF001', MESSAGE = message; END IF;
  RETURN true;
END $$;
