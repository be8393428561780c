package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/**
 * Deleting one's account from the settings page, in a real browser: the password is asked for, and the deletion is
 * asked for twice on the page; a wrong password, a refusal (the only admin) or a Cancel leaves the account as it was,
 * and the deletion signs the browser out and says so on the front page, once.
 */
@ExtendWith(TestParley.class)
class AccountDeletionBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  /** Opens the settings signed in as {@code who}; returns the deletion's password field. */
  private WebElement openDeletion(WebDriver page, Session who) {
    signIn(page, base, who);
    page.get(base + "/settings");
    return waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("delete-password")));
  }

  /** Types the password and presses "Delete my account"; returns the second step's "Yes" once it is offered. */
  private static WebElement askToDelete(WebDriver page, String password) {
    page.findElement(By.id("delete-password")).sendKeys(password);
    page.findElement(By.id("delete-start")).click();
    return waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("delete-yes")));
  }

  @Test
  void aWrongPasswordIsRefusedByItsFieldAndTheRightOneDeletesTheAccountOnceConfirmed() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Alice's last thread");
    long comment = api.comment(alice, api.createPost(bob, "Bob's thread"), "Alice was here", null);
    WebDriver page = browsers.open("alice");
    openDeletion(page, alice);

    // A wrong password: said by the field, the password not kept, and nothing deleted.
    askToDelete(page, "not my password").click();
    WebElement error = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("delete-password-error")));
    assertEquals("Your password is not correct", error.getText());
    WebElement password = page.findElement(By.id("delete-password"));
    assertEquals("true", password.getDomAttribute("aria-invalid"));
    assertEquals("", password.getDomProperty("value"), "the password is not kept in the form");
    assertEquals(password, page.switchTo().activeElement(), "focus back on the field to correct");
    assertFalse(page.findElement(By.id("delete-confirm")).isDisplayed(), "back to the first step");
    assertEquals(200, api.get("/api/me", alice).status(), "the account still works");

    // The right one, confirmed: the second step names the account and waits on Cancel, not on Yes.
    WebElement yes = askToDelete(page, "correct horse");
    assertEquals(page.findElement(By.id("delete-cancel")), page.switchTo().activeElement());
    assertTrue(page.findElement(By.id("delete-question")).getText().contains("the account alice"),
        page.findElement(By.id("delete-question")).getText());
    assertTrue(page.findElements(By.id("delete-password-error")).isEmpty(), "the earlier error is gone");
    yes.click();

    waitFor(page, 10).until(ExpectedConditions.urlToBe(base + "/"));
    WebElement notice = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("carried-notice")));
    assertEquals("Your account was deleted.", notice.getText());
    assertEquals(notice, page.switchTo().activeElement(), "focused, so that it is read out");
    assertTrue(page.findElement(By.id("sign-in")).isDisplayed(), "the header is signed out");
    assertNull(js(page, "return localStorage.getItem('parley.session');"), "the session is gone from the browser");

    assertEquals(401, api.get("/api/me", alice).status(), "the token ended");
    assertEquals(404, api.get("/api/users/alice").status(), "the profile is gone");
    assertEquals(404, api.get("/api/posts/" + post).status(), "the post is gone");
    JsonObject tombstone = api.get("/api/comments/" + comment).json();
    assertTrue(tombstone.getBoolean("deleted"), tombstone::encode);
    assertNull(tombstone.getValue("body"), tombstone::encode);
    assertNull(tombstone.getValue("author"), tombstone::encode);

    // Said once: the next load of the page has no such line.
    page.navigate().refresh();
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#feed li")));
    assertTrue(page.findElements(By.id("carried-notice")).isEmpty(), "the notice is shown once");
  }

  @Test
  void cancellingTheConfirmationLeavesTheAccountAsItWas() {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Still here");
    WebDriver page = browsers.open("alice");
    WebElement password = openDeletion(page, alice);

    askToDelete(page, "correct horse");
    assertEquals("true", String.valueOf(password.getDomProperty("disabled")), "the password is as confirmed");
    page.findElement(By.id("delete-cancel")).click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("delete-confirm")));
    WebElement start = page.findElement(By.id("delete-start"));
    assertTrue(start.isDisplayed());
    assertEquals(start, page.switchTo().activeElement(), "focus back on the button that asked");
    assertEquals("", password.getDomProperty("value"), "the password typed for it is not kept");

    // Escape cancels the second step too.
    askToDelete(page, "correct horse");
    page.switchTo().activeElement().sendKeys(Keys.ESCAPE);
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("delete-confirm")));

    assertEquals(200, api.get("/api/me", alice).status(), "the account still works");
    assertEquals(200, api.get("/api/users/alice").status(), "the profile is there");
    assertEquals(200, api.get("/api/posts/" + post).status(), "the post is there");
    page.navigate().refresh();
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("settings")));
    assertTrue(page.findElements(By.id("session-notice")).isEmpty(), "still signed in");
  }

  @Test
  void theCommunitysOnlyAdminIsToldWhyInTheSectionAndKeepsTheAccount() throws Exception {
    Session admin = api.registerWithRole("sam_admin", "admin");
    WebDriver page = browsers.open("admin");
    WebElement password = openDeletion(page, admin);

    askToDelete(page, "correct horse").click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#delete-form .form-error"),
        "You are the community's only admin: make someone else an admin first."));
    assertTrue(page.findElements(By.id("delete-password-error")).isEmpty(), "not the password's fault");
    assertFalse(page.findElement(By.id("delete-confirm")).isDisplayed(), "back to the first step");
    assertEquals("", password.getDomProperty("value"), "the password is not kept in the form");
    assertEquals(password, page.switchTo().activeElement());
    assertEquals(200, api.get("/api/me", admin).status(), "the account still works");
  }

  /** Another tab of the member's says the account was deleted, not that they signed out, and offers no sign-in to it. */
  @Test
  void anotherTabIsToldTheAccountWasDeleted() {
    Session alice = api.register("alice");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.linkText("Settings")));
    String front = page.getWindowHandle();
    page.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    openDeletion(page, alice);
    askToDelete(page, "correct horse").click();
    waitFor(page, 10).until(ExpectedConditions.urlToBe(base + "/"));
    page.close();
    page.switchTo().window(front);
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("session-notice"),
        "Your account was deleted in another tab."));
    assertTrue(page.findElements(By.id("sign-in-again")).isEmpty(), "nothing to sign in again to");
  }

  /** A banned member is told before typing anything that the ban keeps the account, and who can delete it. */
  @Test
  void aBannedMemberIsToldAtOnceThatTheBanKeepsTheAccount() throws Exception {
    Session alice = api.register("alice");
    TestParley.sql("UPDATE users SET banned_until = now() + interval '1 day' WHERE id = " + alice.id());
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/settings");
    WebElement said = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("delete-banned")));
    assertEquals("While you are banned you cannot delete your account. An admin can delete it for you.",
        said.getText());
    assertTrue(page.findElements(By.id("delete-password")).isEmpty(), "no password to type for nothing");
    // Nor is the profile offered to fill in and refused at Save (the server refuses a banned member's changes): it is
    // there to read, and says why (a page review).
    assertEquals("While you are banned you cannot change your username, email or bio.",
        page.findElement(By.id("profile-banned")).getText());
    for (String field : List.of("profile-username", "profile-email", "profile-bio", "profile-current-password")) {
      assertFalse(page.findElement(By.id(field)).isEnabled(), field);
    }
    assertEquals("alice", page.findElement(By.id("profile-username")).getDomProperty("value"));
    assertFalse(page.findElement(By.cssSelector("#profile-form button[type=submit]")).isEnabled(), "no Save");
    String notice = page.findElement(By.id("ban-notice")).getText();
    assertTrue(notice.endsWith("but not post, comment, vote, report or change your profile."), notice);
    assertEquals(403, api.patch("/api/me", alice, new JsonObject().put("bio", "x")).status(),
        "what the page says: the server refuses it");
  }

  @Test
  void anEmptyPasswordIsAskedForBeforeAnyConfirmation() {
    Session alice = api.register("alice");
    WebDriver page = browsers.open("alice");
    WebElement password = openDeletion(page, alice);

    page.findElement(By.id("delete-start")).click();
    WebElement error = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("delete-password-error")));
    assertEquals("Your password is required to delete your account", error.getText());
    assertEquals(password, page.switchTo().activeElement());
    assertFalse(page.findElement(By.id("delete-confirm")).isDisplayed(), "nothing to confirm yet");
    assertEquals(200, api.get("/api/me", alice).status());
  }

  /**
   * An admin deletes a member's account from the member's card on the dashboard: a reason first (refused without),
   * then asked again with focus on Cancel; Yes deletes it, the card closes, and the audit log says who did it and why.
   */
  @Test
  void anAdminDeletesAMembersAccountFromTheirCard() throws Exception {
    Session boss = api.registerWithRole("boss", "admin");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    long post = api.createPost(reader, "A thread");
    long comment = api.comment(troll, post, "Trolling", null);
    assertEquals(201, api.post("/api/reports", reader, new JsonObject().put("targetType", "comment")
        .put("targetId", comment).put("reason", "spam")).status());
    WebDriver page = browsers.open("admin");
    WebElement dialog = BrowserSupport.openAuthorsCard(page, base, boss, comment, "troll");
    WebElement start = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.xpath(
        "//dialog[@id='user-card']//button[normalize-space()='Delete the account…']")));

    // No reason: said by the field, nothing asked, nothing deleted.
    start.click();
    WebElement reason = dialog.findElement(By.cssSelector(".delete-account-form textarea"));
    waitFor(page, 5).until(d -> "true".equals(reason.getDomAttribute("aria-invalid")));
    assertEquals(reason, page.switchTo().activeElement());
    assertEquals(200, api.get("/api/me", troll).status());

    // A reason, then Cancel: back to the first step, nothing deleted.
    reason.sendKeys("Asked by mail to be forgotten");
    start.click();
    WebElement cancel = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
        "//form[contains(@class,'delete-account-form')]//button[normalize-space()='Cancel']")));
    assertEquals(cancel, page.switchTo().activeElement(), "the second step waits on Cancel");
    cancel.click();
    assertEquals(reason, page.switchTo().activeElement());
    assertEquals(200, api.get("/api/me", troll).status());

    start.click();
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.xpath(
        "//dialog[@id='user-card']//button[normalize-space()=\"Yes, delete troll's account\"]"))).click();
    waitFor(page, 10).until(ExpectedConditions.invisibilityOf(dialog));
    assertEquals(401, api.get("/api/me", troll).status());
    assertEquals(true, api.get("/api/comments/" + comment).json().getBoolean("deleted"));
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
        "boss deleted troll's account: Asked by mail to be forgotten"));
  }
}
