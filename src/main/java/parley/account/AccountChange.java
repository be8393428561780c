package parley.account;

import parley.http.Fields;

import java.util.regex.Pattern;

/**
 * A validated change to one's own account: each field null when it stays as it is. For {@code bio} and
 * {@code image}, an empty string clears the field (RealWorld clients send "" or null to clear, so both are read so).
 */
public record AccountChange(String username, String email, String password, String bio, String image) {

  static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{3,30}");
  static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
  public static final int MAX_BIO = 1_000;
  public static final int MAX_IMAGE = 2_000;

  /** Reads the fields present; an explicit null for bio or image clears it, for the others it is an error. */
  public static AccountChange from(Fields fields) {
    String username = fields.optionalText("username", 3, 30, true);
    if (username != null && !USERNAME.matcher(username).matches()) {
      fields.error("username", "must be 3 to 30 letters, digits, '_' or '-'");
    }
    String email = fields.optionalText("email", 3, 254, true);
    if (email != null && !EMAIL.matcher(email).matches()) fields.error("email", "must be an email address");
    String password = fields.optionalText("password", 8, 128, false);
    String bio = fields.isNull("bio") ? "" : fields.optionalText("bio", 0, MAX_BIO, true);
    String image = fields.isNull("image") ? "" : fields.optionalText("image", 0, MAX_IMAGE, true);
    if (image != null && !image.isEmpty()) fields.webLink("image", image);
    fields.check();
    return new AccountChange(username, email, password, bio, image);
  }

  /** What to store for bio or image: null for "" (cleared). */
  static String cleared(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
