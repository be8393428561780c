-- A reset link is a way into its account: whatever ends the account's tokens (a new password, however it was set;
-- signing out everywhere; a used link) ends the link too, so a link issued before the owner took their account back
-- cannot take it again. Every such change moves users.token_version, so the rule is kept where that happens.
CREATE FUNCTION password_resets_end_with_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM password_resets WHERE user_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER users_tokens_end_resets AFTER UPDATE OF token_version ON users
  FOR EACH ROW WHEN (NEW.token_version IS DISTINCT FROM OLD.token_version)
  EXECUTE FUNCTION password_resets_end_with_tokens();
