package parley.account;

import parley.http.Fields;

import java.util.regex.Pattern;

/**
 * A validated change to one's own account: each field null when it stays as it is. For {@code bio} and
 * {@code image}, an empty string clears the field (RealWorld clients send "" or null to clear, so both are read so).
 */
public record AccountChange(String username, String email, String password, String bio, String image,
    String currentPassword) {

  static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{3,30}");
  /** Letters that draw nothing (the Hangul fillers): a look-alike of an address with them left out. */
  private static final String FILLERS = "\\u115F\\u1160\\u3164\\uFFA0";
  /**
   * Marks that draw nothing (default-ignorable: the combining grapheme joiner, variation selectors, Mongolian free
   * variation selectors, Khmer inherent vowels): "bob\u034F@x.org" read as bob@x.org and was another account.
   */
  private static final String IGNORABLE_MARKS =
      "\\u034F\\u17B4\\u17B5\\u180B-\\u180F\\uFE00-\\uFE0F\\x{E0100}-\\x{E01EF}";
  /** A letter or digit of any script (a decimal digit: not ², ½ or ⒈, which stand for other characters). */
  private static final String BASE = "[\\p{L}&&[^" + FILLERS + "]]\\p{Nd}";
  private static final String MARK = "[\\p{M}&&[^" + IGNORABLE_MARKS + "]]";
  /**
   * A local part's characters: RFC 5322's atext, with the letters, digits and marks of every script (RFC 6531); a
   * mark only after another character, as it shows on one.
   */
  private static final String SPECIALS = "!#$%&'*+/=?^_`{|}~-";
  private static final String ATOM = "[" + BASE + SPECIALS + "][" + BASE + MARK + SPECIALS + "]*";
  /** A domain label: letters, digits and marks of any script (an internationalised name as typed), inner hyphens. */
  private static final String LABEL = "[" + BASE + "](?:[" + BASE + MARK + "-]{0,61}[" + BASE + MARK + "])?";
  /**
   * An email address as mail providers hand them out: a local part of 1 to 64 characters, dots only between others
   * (RFC 5321's dot-atom), and a domain of two or more labels. Quoted local parts ({@code "a b"@x.org}) and address
   * literals ({@code a@[192.0.2.1]}) are refused: nobody is given one, and they let in the spaces, quotes and angle
   * brackets a typing mistake or an injection attempt brings. So are characters that draw nothing.
   */
  static final Pattern EMAIL = Pattern.compile(
      "(?=[^@]{1,64}@)" + ATOM + "(?:\\." + ATOM + ")*@(?:" + LABEL + "\\.)+" + LABEL);

  /** Whether the text is an email address by {@link #EMAIL}, in the form it is typed and in its key's form. */
  static boolean isEmail(String email) {
    return EMAIL.matcher(email).matches() && EMAIL.matcher(EmailKey.of(email)).matches();
  }
  public static final int MAX_BIO = 1_000;
  public static final int MAX_IMAGE = 2_000;

  /** Reads the fields present; an explicit null for bio or image clears it, for the others it is an error. */
  public static AccountChange from(Fields fields) {
    String username = fields.optionalText("username", 3, 30, true);
    if (username != null && !USERNAME.matcher(username).matches()) {
      fields.error("username", "must be 3 to 30 letters, digits, '_' or '-'");
    }
    String email = fields.optionalText("email", 3, 254, true);
    if (email != null && !isEmail(email)) fields.error("email", "must be an email address");
    // Where a password is not taken (Parley's PATCH /api/me names the route that takes one), one error is enough.
    String password = fields.hasError("password") ? null : fields.optionalText("password", 8, 128, false);
    String bio = fields.isNull("bio") ? "" : fields.optionalText("bio", 0, MAX_BIO, true);
    // A bio that shows nothing (a lone direction override, zero-width joiners) is no bio: cleared, as "" is.
    if (bio != null && !Fields.hasVisibleCharacter(bio)) bio = "";
    String image = fields.isNull("image") ? "" : fields.optionalText("image", 0, MAX_IMAGE, true);
    if (image != null && !image.isEmpty()) fields.webLink("image", image);
    // Asked for when the change is to what signs the account in (see Accounts.update); never stored.
    String currentPassword = fields.optionalText("currentPassword", 1, 128, false);
    fields.check();
    return new AccountChange(username, email, password, bio, image, currentPassword);
  }

  /** What to store for bio or image: null for "" (cleared). */
  static String cleared(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
