package parley.account;

import parley.http.Fields;

/** A validated registration: the same rules whichever API it comes through. */
public record NewAccount(String username, String email, String password) {

  public static NewAccount from(Fields fields) {
    String username = fields.text("username", 3, 30, true);
    if (username != null && !AccountChange.USERNAME.matcher(username).matches()) {
      fields.error("username", "must be 3 to 30 letters, digits, '_' or '-'");
    }
    String email = fields.text("email", 3, 254, true);
    if (email != null && !AccountChange.isEmail(email)) {
      fields.error("email", "must be an email address");
    }
    String password = fields.text("password", 8, 128, false);
    fields.check();
    return new NewAccount(username, email, password);
  }
}
