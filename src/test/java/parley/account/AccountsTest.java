package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.TestParley;
import parley.TestTokens;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Accounts over the REST API: registering and its rules, signing in, /api/me and the tokens it accepts or refuses, the
 * configured admin, and public profiles.
 */
@ExtendWith(TestParley.class)
class AccountsTest {

  private final Api api = Api.local();

  private static JsonObject registration(String username, String email, String password) {
    return new JsonObject().put("username", username).put("email", email).put("password", password);
  }

  @Test
  void registerAnswers201WithATokenAndTheUser() throws Exception {
    Response r = api.post("/api/auth/register", null, registration("alice", "alice@example.org", "correct horse"));
    assertEquals(201, r.status(), r.toString());
    JsonObject user = r.json().getJsonObject("user");
    assertEquals("alice", user.getString("username"));
    assertEquals("alice@example.org", user.getString("email"));
    assertEquals("user", user.getString("role"));
    assertTrue(user.getString("createdAt").endsWith("Z"));
    assertNotNull(r.json().getString("token"));
    assertFalse(r.body().contains("argon2"), "never leak the hash");
    // At the tests' cost on the shared server (PARLEY_WEAK_PASSWORD_HASHING); PasswordCostTest checks the default.
    assertEquals(1, TestParley.count("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=1024,t=1,p=1$%'"));
  }

  @Test
  void registrationValidatesEveryField() throws Exception {
    Response r = api.post("/api/auth/register", null, registration("a!", "not-an-email", "short"));
    assertEquals(400, r.status());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(java.util.List.of("username", "email", "password"), r.errorFields());
    assertEquals(0, TestParley.count("SELECT count(*) FROM users"));
  }

  @Test
  void usernameRulesAreEnforced() {
    for (String bad : new String[] {"ab", "a".repeat(31), "has space", "dot.ted", "émile"}) {
      Response r = api.post("/api/auth/register", null, registration(bad, "x@example.org", "long enough"));
      assertEquals(400, r.status(), bad);
      assertEquals(java.util.List.of("username"), r.errorFields(), bad);
    }
    assertEquals(201, api.post("/api/auth/register", null,
        registration("Ok_name-3", "ok@example.org", "long enough")).status());
  }

  @Test
  void emailRulesAreEnforcedOnRegistrationAndChange() throws Exception {
    String[] refused = {"<script>@x.org", "a b@example.org", "a@example", ".a@example.org", "a.@example.org",
        "a..b@example.org", "a@-example.org", "a@example-.org", "a@example..org", "\"a\"@example.org",
        "a@[192.0.2.1]", "a@example.org>", "a\u0007@example.org", "a@b@example.org", "x".repeat(65) + "@example.org",
        "a@" + "x".repeat(64) + ".org", "a(b)@example.org", "a@exa_mple.org"};
    int n = 0;
    for (String bad : refused) {
      Response r = api.post("/api/auth/register", null, registration("mail" + n++, bad, "long enough"));
      assertEquals(400, r.status(), bad);
      assertEquals(java.util.List.of("email"), r.errorFields(), bad);
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM users"));
    String[] taken = {"o'brien+news@example.co.uk", "x_y-z{1}|~@sub-domain.example", "josé@exämple.org",
        "用户@例子.广告", "a@x.io", "1@2.example", "x".repeat(64) + "@example.org"};
    for (String good : taken) {
      assertEquals(201, api.post("/api/auth/register", null, registration("mail" + n++, good, "long enough")).status(),
          good);
    }
    // A change is held to the same rule, and changes nothing when refused.
    Api.Session alice = api.register("alice");
    Response r = api.patch("/api/me", alice, new JsonObject().put("email", "<script>@x.org"));
    assertEquals(400, r.status());
    assertEquals(java.util.List.of("email"), r.errorFields());
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE email LIKE '%script%'"));
  }

  @Test
  void passwordLengthIsEightTo128() {
    assertEquals(400, api.post("/api/auth/register", null, registration("pw1", "p1@example.org", "1234567")).status());
    assertEquals(400, api.post("/api/auth/register", null,
        registration("pw2", "p2@example.org", "x".repeat(129))).status());
    assertEquals(201, api.post("/api/auth/register", null, registration("pw3", "p3@example.org", "12345678")).status());
    assertEquals(201, api.post("/api/auth/register", null,
        registration("pw4", "p4@example.org", "x".repeat(128))).status());
  }

  @Test
  void missingAndWronglyTypedFieldsAre400() {
    Response r = api.post("/api/auth/register", null, new JsonObject().put("username", 42));
    assertEquals(400, r.status());
    assertEquals(java.util.List.of("username", "email", "password"), r.errorFields());
  }

  @Test
  void duplicateUsernameIgnoringCaseIs409() throws Exception {
    api.register("alice");
    Response r = api.post("/api/auth/register", null, registration("ALICE", "other@example.org", "correct horse"));
    assertEquals(409, r.status());
    assertEquals(java.util.List.of("username"), r.errorFields());
    assertEquals(1, TestParley.count("SELECT count(*) FROM users"));
  }

  @Test
  void duplicateEmailIs409() throws Exception {
    api.register("alice");
    Response r = api.post("/api/auth/register", null, registration("bob", "Alice@Example.org", "correct horse"));
    assertEquals(409, r.status());
    assertEquals(java.util.List.of("email"), r.errorFields());
    assertEquals(1, TestParley.count("SELECT count(*) FROM users"));
  }

  /** A name and an address both taken are refused together, so a form says both at once. */
  @Test
  void aTakenNameAndATakenAddressAreRefusedTogether() throws Exception {
    api.register("alice");
    Response r = api.post("/api/auth/register", null, registration("Alice", "ALICE@example.org", "correct horse"));
    assertEquals(409, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(java.util.List.of("username", "email"), r.errorFields());
    assertEquals("2 fields are taken.", r.json().getString("detail"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM users"));
  }

  /**
   * An address is one account's in every script's letter case and in any Unicode form of its letters: under the
   * embedded database's C locale, {@code lower(email)} lowered ASCII only, so ÉMILE@ and émile@ were two accounts and
   * signing in as one with the other's spelling failed (V28, {@link EmailKey}); under any locale, an é typed as e and
   * a combining accent, or a fullwidth Ｍ, was another address.
   */
  @Test
  void anAddressIsOneAccountsInAnyScriptsCaseAndForm() throws Exception {
    assertEquals(201, api.post("/api/auth/register", null,
        registration("emile", "\u00c9MILE@\u00c9cole.example", "correct horse")).status());
    for (String same : List.of("\u00e9mile@\u00e9cole.example", "e\u0301mile@e\u0301cole.example",
        "\u00c9\uff2d\uff29\uff2c\uff25@\u00c9cole.example")) {
      Response taken = api.post("/api/auth/register", null, registration("other", same, "correct horse"));
      assertEquals(409, taken.status(), same + " " + taken);
      assertEquals(List.of("email"), taken.errorFields());
      Response in = api.post("/api/auth/login", null, new JsonObject().put("login", same).put("password", "correct horse"));
      assertEquals(200, in.status(), same + " " + in);
      assertEquals("emile", in.json().getJsonObject("user").getString("username"));
    }
    assertEquals(1, TestParley.count("SELECT count(*) FROM users"));
    // Nor can another account change to it; their own address is theirs to recase (with their password: not ASCII).
    Api.Session zoe = api.register("zoe");
    Response taken = api.patch("/api/me", zoe, new JsonObject().put("email", "\u00e9mile@\u00e9cole.example")
        .put("currentPassword", "correct horse"));
    assertEquals(409, taken.status(), taken.toString());
    assertEquals(List.of("email"), taken.errorFields());
    JsonObject in = api.post("/api/auth/login", null,
        new JsonObject().put("login", "emile").put("password", "correct horse")).json();
    Api.Session emile = new Api.Session(in.getString("token"), in.getJsonObject("user").getLong("id"), "emile");
    Response recased = api.patch("/api/me", emile, new JsonObject().put("email", "\u00e9mile@\u00e9cole.example")
        .put("currentPassword", "correct horse"));
    assertEquals(200, recased.status(), recased.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM users WHERE email = '\u00e9mile@\u00e9cole.example'"));
    // Greek's final sigma is its sigma: ΛΟΓΟΣ@ (whose lower case ends in ς) is λογοσ@, and λογος@ too.
    assertEquals(201, api.post("/api/auth/register", null,
        registration("nikos", "\u03bb\u03bf\u03b3\u03bf\u03c3@x.example", "correct horse")).status());
    assertEquals(409, api.post("/api/auth/register", null,
        registration("nikos2", "\u03bb\u03bf\u03b3\u03bf\u03c2@x.example", "correct horse")).status());
    Response greek = api.post("/api/auth/login", null,
        new JsonObject().put("login", "\u039b\u039f\u0393\u039f\u03a3@x.example").put("password", "correct horse"));
    assertEquals("nikos", greek.json().getJsonObject("user").getString("username"), greek.toString());
    // A dotless ı is not an i: another address, another account (and no way into emile's).
    assertEquals(201, api.post("/api/auth/register", null,
        registration("yara", "yara@gma\u0131l.example", "correct horse")).status());
    assertEquals(201, api.post("/api/auth/register", null,
        registration("yarb", "yara@gmail.example", "correct horse")).status());
  }

  /**
   * An address with a character that draws nothing, or one that stands for others, is refused: each made a second
   * account that read as bob@example.org (a probe: a variation selector, the Hangul filler, a combining grapheme
   * joiner, a mark with nothing to sit on, ⒈ for "1.").
   */
  @Test
  void anAddressWithCharactersThatDrawNothingIsRefused() throws Exception {
    api.register("bob");
    for (String lookalike : List.of("bob\ufe0f@example.org", "bob\u3164@example.org", "bob\u115f@example.org",
        "bob\u034f@example.org", "bob\u180b@example.org", "bob\udb40\udd00@example.org", "\u0301bob@example.org",
        "bob@exa\u034fmple.org", "bob@\u0301example.org", "bob\u2488@example.org", "bob\u00b2@example.org",
        "a\u2488@example.org")) {
      Response r = api.post("/api/auth/register", null, registration("lookalike", lookalike, "correct horse"));
      assertEquals(400, r.status(), lookalike + " " + r);
      assertEquals(List.of("email"), r.errorFields(), lookalike);
    }
    assertEquals(1, TestParley.count("SELECT count(*) FROM users"));
    // Marks that do show, on a letter, are letters of their script as typed.
    for (String fine : List.of("jos\u00e9@example.org", "jose\u0301.b@example.org", "\u0905\u0928\u093f@example.in")) {
      assertEquals(201, api.post("/api/auth/register", null,
          registration("u" + Math.abs(fine.hashCode() % 100000), fine, "correct horse")).status(), fine);
    }
  }

  @Test
  void loginWorksWithUsernameOrEmailInAnyCase() {
    api.register("alice");
    for (String login : new String[] {"alice", "ALICE", "alice@example.org", "Alice@Example.ORG"}) {
      Response r = api.post("/api/auth/login", null, new JsonObject().put("login", login).put("password", "correct horse"));
      assertEquals(200, r.status(), login);
      assertEquals("alice", r.json().getJsonObject("user").getString("username"));
      String token = r.json().getString("token");
      assertEquals(200, api.raw("GET", "/api/me", "Bearer " + token, null, null).status());
    }
  }

  @Test
  void wrongPasswordAndUnknownUserGetTheSame401() {
    api.register("alice");
    Response wrongPassword = api.post("/api/auth/login", null,
        new JsonObject().put("login", "alice").put("password", "wrong horse"));
    Response unknownUser = api.post("/api/auth/login", null,
        new JsonObject().put("login", "nobody").put("password", "correct horse"));
    assertEquals(401, wrongPassword.status());
    assertEquals(401, unknownUser.status());
    assertEquals(wrongPassword.body(), unknownUser.body());
  }

  @Test
  void loginNeedsBothFields() {
    Response r = api.post("/api/auth/login", null, new JsonObject().put("login", "alice"));
    assertEquals(400, r.status());
    assertEquals(java.util.List.of("password"), r.errorFields());
  }

  @Test
  void meReturnsTheCurrentUser() {
    Api.Session alice = api.register("alice");
    Response r = api.get("/api/me", alice);
    assertEquals(200, r.status());
    JsonObject me = r.json();
    assertEquals(alice.id(), me.getLong("id"));
    assertEquals("alice", me.getString("username"));
    assertEquals("alice@example.org", me.getString("email"));
    assertEquals("user", me.getString("role"));
    assertNotNull(me.getString("createdAt"));
  }

  @Test
  void meWithoutATokenIs401() {
    Response r = api.get("/api/me");
    assertEquals(401, r.status());
    assertEquals("application/problem+json", r.contentType());
  }

  @Test
  void malformedForgedAndNonBearerTokensAre401() {
    Api.Session alice = api.register("alice");
    String[] parts = alice.token().split("\\.");
    String forged = parts[0] + "." + parts[1] + "." + "AAAA" + parts[2].substring(4);
    assertEquals(401, api.raw("GET", "/api/me", "Bearer not-a-token", null, null).status());
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + forged, null, null).status());
    assertEquals(401, api.raw("GET", "/api/me", "Basic " + alice.token(), null, null).status());
    assertEquals(401, api.raw("GET", "/api/me", "Bearer ", null, null).status());
  }

  @Test
  void aTokenWithAlgNoneIsRefused() {
    Api.Session alice = api.register("alice");
    String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String claims = b64("{\"sub\":\"" + alice.id() + "\",\"iss\":\"parley\",\"exp\":" + (now() + 3600) + "}");
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + header + "." + claims + ".", null, null).status());
  }

  /**
   * A token's header and claims are read as strictly as a request body: a name given twice is refused (a probe: two
   * "sub" were read as the last), and so is a padded part, another string for the same token.
   */
  @Test
  void aTokenNamingAClaimTwiceOrPaddedIsRefused() {
    Api.Session alice = api.register("alice");
    Api.Session bob = api.register("bob");
    String claims = TestTokens.claims(bob.id()).encode();
    String twoSubs = "{\"sub\":\"" + alice.id() + "\"," + claims.substring(1);
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + TestTokens.hs256(twoSubs), null, null).status(),
        "two sub claims, the signature right");
    String twoAlgs = TestTokens.sign("{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims,
        TestParley.JWT_SECRET);
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + twoAlgs, null, null).status(), "two alg");
    String good = TestTokens.hs256(claims);
    assertEquals(200, api.raw("GET", "/api/me", "Bearer " + good, null, null).status(), "control: the same, once");
    // An HMAC-SHA256 is 32 bytes, 43 characters of base64url: one "=" pads it.
    assertEquals(43, good.length() - good.lastIndexOf('.') - 1);
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + good + "=", null, null).status(), "a padded signature");
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    Api.Session alice = api.register("alice");
    String token = TestTokens.hs256(TestTokens.claims(alice.id()).put("iat", now() - 7200).put("exp", now() - 3600)
        .encode());
    assertEquals(401, api.raw("GET", "/api/me", "Bearer " + token, null, null).status());
    String fresh = TestTokens.hs256(TestTokens.claims(alice.id()).encode());
    assertEquals(200, api.raw("GET", "/api/me", "Bearer " + fresh, null, null).status(), "control: same key, valid");
  }

  @Test
  void aTokenForADeletedAccountIsRefused() throws Exception {
    Api.Session alice = api.register("alice");
    TestParley.sql("DELETE FROM users WHERE id = " + alice.id());
    assertEquals(401, api.get("/api/me", alice).status());
  }

  @Test
  void configuredAdminBecomesAdminOnRegistrationOnlyWhileThereIsNone() throws Exception {
    Response r = api.post("/api/auth/register", null, registration("Root_Admin", "root@example.org", "correct horse"));
    assertEquals("admin", r.json().getJsonObject("user").getString("role"));
    String adminToken = r.json().getString("token");
    // The admin renames: the name is held for them for 30 days, then free again, and whoever takes it is a member,
    // not a second admin (the hold's end stood in for by ageing the audit entry, past its append-only trigger).
    assertEquals(200, api.raw("PATCH", "/api/me", "Bearer " + adminToken,
        new JsonObject().put("username", "boss_admin").put("currentPassword", "correct horse").encode(),
        "application/json").status());
    assertEquals(409, api.post("/api/auth/register", null, registration("ROOT_ADMIN", "squat@example.org",
        "correct horse")).status(), "held");
    TestParley.sql("SET session_replication_role = replica; "
        + "UPDATE mod_log SET created_at = now() - interval '31 days' WHERE action = 'user.renamed'");
    Response squatter = api.post("/api/auth/register", null, registration("ROOT_ADMIN", "squat@example.org",
        "correct horse"));
    assertEquals(201, squatter.status());
    assertEquals("user", squatter.json().getJsonObject("user").getString("role"));
    // Nor does the next start make them one: its promotion names the first admin only.
    parley.Main.Running running = TestParley.server().running();
    parley.account.Accounts.promoteConfiguredAdmin(running.database().pool(), java.util.Optional.of("root_admin"),
        running.accounts()).toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    String squatterToken = squatter.json().getString("token");
    assertEquals("user", api.raw("GET", "/api/me", "Bearer " + squatterToken, null, null).json().getString("role"));
    // With no admin left (the last one demoted by hand), the start-up promotion makes the named account one again.
    TestParley.sql("UPDATE users SET role = 'user' WHERE role = 'admin'");
    parley.account.Accounts.promoteConfiguredAdmin(running.database().pool(), java.util.Optional.of("root_admin"),
        running.accounts()).toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals("admin", api.raw("GET", "/api/me", "Bearer " + squatterToken, null, null).json().getString("role"));
  }

  @Test
  void profileShowsPublicFieldsAndLiveCounts() {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "First");
    api.createPost(alice, "Second");
    long c1 = api.comment(alice, post, "one", null);
    api.comment(alice, post, "two", c1);
    api.delete("/api/comments/" + c1, alice);
    Response r = api.get("/api/users/ALICE");
    assertEquals(200, r.status());
    JsonObject profile = r.json();
    assertEquals("alice", profile.getString("username"));
    assertEquals("user", profile.getString("role"));
    assertEquals(2, profile.getInteger("postCount"));
    assertEquals(1, profile.getInteger("commentCount"));
    assertNull(profile.getString("email"), "email is private");
    assertNull(profile.getValue("id"));
  }

  @Test
  void unknownProfileIs404() {
    assertEquals(404, api.get("/api/users/nobody").status());
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A rename is in the moderators' audit log, in the statement that makes it, and so on the member's record: a new
   * name must not hide who someone was. A change that renames nobody (the name they have) writes nothing there.
   */
  @Test
  void aRenameIsOnTheMembersRecordForTheModerators() throws Exception {
    Api.Session troll = api.register("troll99");
    Api.Session mod = api.registerWithRole("rename_mod", "moderator");
    assertEquals(200, api.patch("/api/me", troll, new JsonObject().put("username", "troll99")).status());
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.renamed'"));
    assertEquals(200, api.patch("/api/me", troll, new JsonObject().put("username", "nice_person")
        .put("currentPassword", "correct horse")).status());

    JsonObject card = api.get("/api/mod/users/nice_person", mod).json();
    JsonObject entry = card.getJsonArray("history").getJsonObject(0);
    assertEquals("user.renamed", entry.getString("action"));
    assertEquals("nice_person", entry.getJsonObject("actor").getString("username"));
    assertEquals("troll99", entry.getJsonObject("details").getString("from"));
    assertEquals("nice_person", entry.getJsonObject("details").getString("to"));
    assertEquals("user.renamed", api.get("/api/mod/log", mod).json().getJsonArray("items").getJsonObject(0)
        .getString("action"));
    // A refused rename (the name is taken) writes nothing.
    assertEquals(409, api.patch("/api/me", troll, new JsonObject().put("username", "rename_mod")
        .put("currentPassword", "correct horse")).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.renamed'"));

    // The name left behind is held for its owner for 30 days: links to /u/troll99 and the mentions rendered with it
    // do not lead to a newcomer. Refused as a name in use is; its owner may take it back.
    Response squatter = api.post("/api/auth/register", null, registration("TROLL99", "squat@example.org",
        "correct horse"));
    assertEquals(409, squatter.status(), squatter.toString());
    assertEquals(List.of("username"), squatter.errorFields());
    Api.Session other = api.register("other_one");
    assertEquals(409, api.patch("/api/me", other, new JsonObject().put("username", "troll99")
        .put("currentPassword", "correct horse")).status());
    assertEquals(200, api.patch("/api/me", troll, new JsonObject().put("username", "troll99")
        .put("currentPassword", "correct horse")).status(), "its owner takes it back");
    assertEquals(409, api.post("/api/auth/register", null, registration("nice_person", "np@example.org",
        "correct horse")).status(), "and the name they leave is held in turn");
  }

  /**
   * The one change to what signs an account in that needs no password is a change of ASCII letters' case: a dotless
   * ı, a long ſ or a Kelvin sign is another address ("yara@gmaıl.com" passed for "yara@gmail.com", a probe).
   */
  @Test
  void onlyAsciiLettersCaseIsTheSameNameOrAddress() {
    assertTrue(Accounts.sameButAsciiCase("Yara@Gmail.com", "yara@gmail.com"));
    assertTrue(Accounts.sameButAsciiCase("ALICE_99", "alice_99"));
    assertFalse(Accounts.sameButAsciiCase("yara@gma\u0131l.com", "yara@gmail.com"), "dotless i");
    assertFalse(Accounts.sameButAsciiCase("\u0130van@x.org", "ivan@x.org"), "dotted capital I");
    assertFalse(Accounts.sameButAsciiCase("\u017fam@x.org", "sam@x.org"), "long s");
    assertFalse(Accounts.sameButAsciiCase("\u212aen@x.org", "ken@x.org"), "Kelvin sign");
    assertFalse(Accounts.sameButAsciiCase("alice1", "alice!"));
    assertFalse(Accounts.sameButAsciiCase("alice", "alicia"));
    Api.Session yara = api.register("yara");
    Response unproven = api.patch("/api/me", yara, new JsonObject().put("email", "yara@ex\u0430mple.org"));
    assertEquals(400, unproven.status(), unproven.toString());
    assertEquals(List.of("currentPassword"), unproven.errorFields());
    assertEquals(200, api.patch("/api/me", yara, new JsonObject().put("email", "YARA@Example.ORG")).status(),
        "letter case alone needs no password");
  }

  /** A bio that shows nothing (a lone U+202E, a zero-width joiner) is stored as no bio, as "" is (a probe). */
  @Test
  void aBioThatShowsNothingIsNoBio() {
    Api.Session zed = api.register("zed");
    assertEquals(200, api.patch("/api/me", zed, new JsonObject().put("bio", "Hello")).status());
    assertEquals(200, api.patch("/api/me", zed, new JsonObject().put("bio", "\u202e\u200d ")).status());
    assertNull(api.get("/api/users/zed").json().getValue("bio"));
  }

  /** A password sent to PATCH /api/me gets one error, the one that says where a password is changed (a probe: two). */
  @Test
  void aPasswordSentToTheProfileGetsOneErrorThatSaysWhereToGo() {
    Api.Session pat = api.register("pat");
    Response r = api.patch("/api/me", pat, new JsonObject().put("password", "x"));
    assertEquals(400, r.status(), r.toString());
    assertEquals(1, r.json().getJsonArray("errors").size(), r.toString());
    assertEquals("change it with PUT /api/me/password",
        r.json().getJsonArray("errors").getJsonObject(0).getString("message"));
  }
}
