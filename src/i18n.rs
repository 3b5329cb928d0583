//! Languages, interface strings, and the byline's wording.
//!
//! Dates, times and numbers are formatted by the browser's `Intl` (see `dom::intl`); this
//! module only decides the words around them, so it is tested natively.

use crate::text::{concat, push_joined};

/// A language the widget speaks: its row of [`LANGUAGES`].
#[derive(Debug, Clone, Copy)]
pub struct Lang(&'static Strings);

impl PartialEq for Lang {
    fn eq(&self, other: &Lang) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
impl Eq for Lang {}

/// The language chosen, and the BCP 47 tag handed to `Intl` for dates and numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    /// The language of the interface strings.
    pub lang: Lang,
    /// The tag given to `Intl` (`fr-CA` keeps its region).
    pub tag: String,
}

impl Lang {
    /// The supported language of a BCP 47 tag (`fr`, `fr-CA`, `EN-us`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = primary(tag);
        LANGUAGES.iter().find(|l| l.tag.eq_ignore_ascii_case(primary)).map(Lang)
    }

    /// English, the language of last resort.
    pub fn english() -> Lang {
        Lang(&LANGUAGES[1])
    }

    /// How `Intl` should write the hour: French writes "06:38", English "6:38 PM".
    pub fn hour_style(self) -> &'static str {
        self.0.hour
    }

    /// The interface strings of this language.
    pub fn strings(self) -> &'static Strings {
        self.0
    }

    /// The language of `tag`, in tests.
    #[cfg(test)]
    pub fn of(tag: &str) -> Lang {
        Lang::from_tag(tag).unwrap_or_else(Lang::english)
    }

    /// `rtl` or `ltr`, for the `dir` of the interface.
    pub fn dir(self) -> &'static str {
        if self.0.rtl {
            "rtl"
        } else {
            "ltr"
        }
    }
}

/// Picks the first candidate tag the widget speaks, in order of preference; English otherwise.
///
/// The caller passes `data-lang`, the item's language, the feed's language, then `<html lang>`,
/// and `canonical`, which gives a tag's canonical form or refuses it (the browser's
/// `Intl.getCanonicalLocales`). A tag of a language the widget speaks that is still refused
/// once cleaned (`fr-`, `en-x`) is passed over for the next candidate, and returned with the
/// others refused so that the caller can say so.
pub fn resolve<'a>(candidates: &[Option<&'a str>], canonical: impl Fn(&str) -> Option<String>) -> (Locale, Vec<&'a str>) {
    let mut refused = Vec::new();
    for tag in candidates.iter().flatten() {
        let Some(lang) = Lang::from_tag(tag) else { continue };
        match canonical(&clean_tag(tag)) {
            Some(tag) => return (Locale { lang, tag }, refused),
            None => refused.push(*tag),
        }
    }
    (Locale { lang: Lang::english(), tag: "en".into() }, refused)
}

/// The `dir` of feed text in the language `tag`: `rtl` for a language written right to left
/// (so that an Arabic title starting with a Latin name still reads from the right), else
/// `auto` (the text's first strong letter decides).
pub fn text_dir(tag: Option<&str>) -> &'static str {
    let primary = primary(tag.unwrap_or_default());
    // Byte splits and comparisons only: a char-pattern split ships core's char searchers.
    let rtl = ["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"];
    if rtl.iter().any(|r| r.eq_ignore_ascii_case(primary)) {
        "rtl"
    } else {
        "auto"
    }
}

/// The primary language subtag of `tag` (`pt` of ` pt_BR `).
fn primary(tag: &str) -> &str {
    let tag = tag.trim();
    let end = tag.bytes().position(|b| b == b'-' || b == b'_').unwrap_or(tag.len());
    tag.get(..end).unwrap_or_default()
}

/// A language tag as some systems write it, made a BCP 47 candidate: POSIX locales carry a
/// charset and a modifier (`fr_FR.UTF-8@euro`) and an underscore where BCP 47 has a hyphen.
pub fn clean_tag(tag: &str) -> String {
    let mut clean = String::new();
    for c in tag.trim().chars() {
        match c {
            '.' | '@' => break,
            '_' => clean.push('-'),
            c => clean.push(c),
        }
    }
    clean
}

/// Every fixed string the interface shows, and how the language is written.
#[derive(Debug)]
pub struct Strings {
    /// The primary language subtag (`fr`).
    pub tag: &'static str,
    /// Written right to left.
    pub rtl: bool,
    /// `Intl.DateTimeFormat`'s `hour` option: `2-digit` writes "06:38", `numeric` "6:38".
    pub hour: &'static str,
    /// Kicker of an urgency-1 item.
    pub urgent: &'static str,
    /// Kicker of an urgency-2 item.
    pub breaking: &'static str,
    /// Between the kicker and the title (French puts a space before the colon).
    pub kicker_separator: &'static str,
    /// The card's expand button.
    pub read_more: &'static str,
    /// The card's collapse button.
    pub show_less: &'static str,
    /// Accessible name of the banner's close button.
    pub close_alert: &'static str,
    /// Accessible name of the banner's previous-item button.
    pub previous_alert: &'static str,
    /// Accessible name of the banner's next-item button.
    pub next_alert: &'static str,
    /// Accessible name of the button that stops the rotation.
    pub pause_rotation: &'static str,
    /// Accessible name of the button that restarts it.
    pub resume_rotation: &'static str,
    /// Accessible name of the banner region.
    pub alert_region: &'static str,
    /// The byline's words.
    pub byline: Byline,
}

/// The words around the byline's names, date, time and count: one code path writes every
/// language's byline from these.
#[derive(Debug)]
pub struct Byline {
    /// Before the author names.
    pub by: &'static str,
    /// Between the names and the date.
    pub then_date: &'static str,
    /// Before the date when no author is named.
    pub date_alone: &'static str,
    /// Between the date and the time.
    pub at: &'static str,
    /// Between the last two author names.
    pub and: &'static str,
    /// Between the rest and the count.
    pub then_count: &'static str,
    /// Before the count.
    pub read: &'static str,
    /// After the count: for the plural category `one` (`Intl.PluralRules`), and for every
    /// other.
    pub times: [&'static str; 2],
}

/// Every language the widget speaks: adding one is adding its row. English (row 1) is the
/// fallback; Chromium's `Intl` has dates for each (not for Hausa or Bambara, which fall back).
pub static LANGUAGES: [Strings; 8] = [

    Strings {
    tag: "fr",
    rtl: false,
    hour: "2-digit",
    urgent: "URGENT",
    breaking: "ALERTE",
    kicker_separator: " : ",
    read_more: "Lire la suite",
    show_less: "Réduire",
    close_alert: "Fermer l’alerte",
    previous_alert: "Alerte précédente",
    next_alert: "Alerte suivante",
    pause_rotation: "Arrêter le défilement des alertes",
    resume_rotation: "Reprendre le défilement des alertes",
    alert_region: "Alerte info",
    byline: Byline {
        by: "Rédigé par ",
        then_date: " le ",
        date_alone: "Publié le ",
        at: " à ",
        and: " et ",
        then_count: " | ",
        read: "Lu ",
        // « fois » does not change with the number.
        times: [" fois", " fois"],
    },
    },
    Strings {
    tag: "en",
    rtl: false,
    hour: "numeric",
    urgent: "URGENT",
    breaking: "BREAKING",
    kicker_separator: ": ",
    read_more: "Read more",
    show_less: "Show less",
    close_alert: "Close alert",
    previous_alert: "Previous alert",
    next_alert: "Next alert",
    pause_rotation: "Stop rotating alerts",
    resume_rotation: "Resume rotating alerts",
    alert_region: "News alert",
    byline: Byline {
        by: "By ",
        then_date: " · ",
        date_alone: "",
        at: " at ",
        and: " and ",
        then_count: " · ",
        read: "Read ",
        times: [" time", " times"],
    },
    },
    Strings {
    tag: "es",
    rtl: false,
    hour: "numeric",
    urgent: "URGENTE",
    breaking: "ÚLTIMA HORA",
    kicker_separator: ": ",
    read_more: "Leer más",
    show_less: "Mostrar menos",
    close_alert: "Cerrar la alerta",
    previous_alert: "Alerta anterior",
    next_alert: "Alerta siguiente",
    pause_rotation: "Detener el paso de las alertas",
    resume_rotation: "Reanudar el paso de las alertas",
    alert_region: "Alerta informativa",
    byline: Byline {
        by: "Por ",
        then_date: " · ",
        date_alone: "Publicado el ",
        at: " a las ",
        and: " y ",
        then_count: " · ",
        read: "Leído ",
        times: [" vez", " veces"],
    },
    },
    Strings {
    tag: "pt",
    rtl: false,
    hour: "numeric",
    urgent: "URGENTE",
    breaking: "ÚLTIMA HORA",
    kicker_separator: ": ",
    read_more: "Ler mais",
    show_less: "Mostrar menos",
    close_alert: "Fechar o alerta",
    previous_alert: "Alerta anterior",
    next_alert: "Próximo alerta",
    pause_rotation: "Parar a rotação dos alertas",
    resume_rotation: "Retomar a rotação dos alertas",
    alert_region: "Alerta de notícias",
    byline: Byline {
        by: "Por ",
        then_date: " · ",
        date_alone: "Publicado em ",
        at: " às ",
        and: " e ",
        then_count: " · ",
        read: "Lido ",
        times: [" vez", " vezes"],
    },
    },
    Strings {
    tag: "de",
    rtl: false,
    hour: "numeric",
    urgent: "EILMELDUNG",
    breaking: "AKTUELL",
    kicker_separator: ": ",
    read_more: "Weiterlesen",
    show_less: "Weniger anzeigen",
    close_alert: "Meldung schließen",
    previous_alert: "Vorherige Meldung",
    next_alert: "Nächste Meldung",
    pause_rotation: "Wechsel der Meldungen anhalten",
    resume_rotation: "Wechsel der Meldungen fortsetzen",
    alert_region: "Nachrichtenmeldung",
    byline: Byline {
        by: "Von ",
        then_date: " · ",
        date_alone: "Veröffentlicht am ",
        at: " um ",
        and: " und ",
        then_count: " · ",
        read: "",
        times: [" Mal gelesen", " Mal gelesen"],
    },
    },
    Strings {
    tag: "ar",
    rtl: true,
    hour: "numeric",
    urgent: "عاجل",
    breaking: "تنبيه",
    kicker_separator: ": ",
    read_more: "اقرأ المزيد",
    show_less: "عرض أقل",
    close_alert: "إغلاق التنبيه",
    previous_alert: "التنبيه السابق",
    next_alert: "التنبيه التالي",
    pause_rotation: "إيقاف تناوب التنبيهات",
    resume_rotation: "استئناف تناوب التنبيهات",
    alert_region: "تنبيه إخباري",
    byline: Byline {
        by: "بقلم ",
        then_date: " · ",
        date_alone: "نُشر في ",
        at: " الساعة ",
        and: " و",
        then_count: " · ",
        read: "عدد القراءات: ",
        times: ["", ""],
    },
    },
    Strings {
    tag: "sw",
    rtl: false,
    hour: "numeric",
    urgent: "DHARURA",
    breaking: "HABARI MPYA",
    kicker_separator: ": ",
    read_more: "Soma zaidi",
    show_less: "Onyesha kidogo",
    close_alert: "Funga tahadhari",
    previous_alert: "Tahadhari iliyotangulia",
    next_alert: "Tahadhari inayofuata",
    pause_rotation: "Simamisha mzunguko wa tahadhari",
    resume_rotation: "Endelea na mzunguko wa tahadhari",
    alert_region: "Tahadhari ya habari",
    byline: Byline {
        by: "Na ",
        then_date: " · ",
        date_alone: "Ilichapishwa ",
        at: " saa ",
        and: " na ",
        then_count: " · ",
        read: "Imesomwa mara ",
        times: ["", ""],
    },
    },
    Strings {
    tag: "zh",
    rtl: false,
    hour: "numeric",
    urgent: "紧急",
    breaking: "快讯",
    kicker_separator: "：",
    read_more: "阅读全文",
    show_less: "收起",
    close_alert: "关闭快讯",
    previous_alert: "上一条快讯",
    next_alert: "下一条快讯",
    pause_rotation: "停止快讯轮播",
    resume_rotation: "继续快讯轮播",
    alert_region: "新闻快讯",
    byline: Byline {
        by: "作者：",
        then_date: " · ",
        date_alone: "发布于 ",
        at: " ",
        and: "和",
        then_count: " · ",
        read: "阅读 ",
        times: [" 次", " 次"],
    },
    },
];

/// The label shown before a title: the feed's own kicker, or one that follows the urgency.
pub fn kicker(lang: Lang, urgency: u8, custom: Option<&str>) -> Option<&str> {
    match custom.map(str::trim) {
        Some(k) if !k.is_empty() => Some(k),
        _ => match urgency {
            1 => Some(lang.strings().urgent),
            2 => Some(lang.strings().breaking),
            _ => None,
        },
    }
}

/// A CLDR plural category, as `Intl.PluralRules` names it; only the ones the strings use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plural {
    /// `one`.
    One,
    /// Every other category.
    Other,
}

impl Plural {
    /// From `Intl.PluralRules.prototype.select`'s answer.
    pub fn from_category(category: &str) -> Plural {
        if category == "one" {
            Plural::One
        } else {
            Plural::Other
        }
    }
}

/// The byline's parts, already formatted by `Intl`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BylineParts<'a> {
    /// Author names.
    pub authors: &'a [String],
    /// Formatted publication date and time.
    pub published: Option<(&'a str, &'a str)>,
    /// Formatted read count and its plural category.
    pub views: Option<(&'a str, Plural)>,
}

/// `Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu 376 fois`, or its English twin
/// `By Massene Diop · June 18, 2017 at 6:48 PM · Read 376 times`.
pub fn byline(lang: Lang, parts: BylineParts) -> String {
    let w = &lang.strings().byline;
    let mut names = join_names(w.and, parts.authors);
    // Latin names in a right-to-left sentence keep their own order: each is isolated (FSI
    // … PDI), the bidi algorithm's way of saying "this run is its own paragraph".
    if lang.strings().rtl && !names.is_empty() {
        names = concat(&["\u{2068}", &names, "\u{2069}"]);
    }
    let mut out = String::new();
    if !names.is_empty() {
        out = concat(&[w.by, &names]);
    }
    if let Some((date, time)) = parts.published {
        let lead = if out.is_empty() { w.date_alone } else { w.then_date };
        out.push_str(&concat(&[lead, date, w.at, time]));
    }
    if let Some((n, plural)) = parts.views {
        let unit = w.times[usize::from(plural != Plural::One)];
        push_joined(&mut out, w.then_count, &concat(&[w.read, n, unit]));
    }
    out
}

/// `A`, `A et B`, `A, B et C`, with `and` between the last two.
fn join_names(and: &str, names: &[String]) -> String {
    // Counted first rather than collected: no Vec, and its collect code, for a few names.
    let count = names.iter().filter(|n| !n.trim().is_empty()).count();
    let mut out = String::new();
    for (i, name) in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).enumerate() {
        push_joined(&mut out, if i + 1 == count { and } else { ", " }, name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diop() -> Vec<String> {
        vec!["Massene Diop".to_owned()]
    }

    #[test]
    fn french_byline_matches_the_sample_story() {
        let authors = diop();
        let s = byline(
            Lang::of("fr"),
            BylineParts {
                authors: &authors,
                published: Some(("18 juin 2017", "18:48")),
                views: Some(("376", Plural::Other)),
            },
        );
        assert_eq!(s, "Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu 376 fois");
    }

    #[test]
    fn english_byline_pluralises() {
        let authors = diop();
        let mut parts = BylineParts {
            authors: &authors,
            published: Some(("June 18, 2017", "6:48 PM")),
            views: Some(("376", Plural::Other)),
        };
        assert_eq!(byline(Lang::of("en"), parts), "By Massene Diop · June 18, 2017 at 6:48 PM · Read 376 times");
        parts.views = Some(("1", Plural::One));
        assert_eq!(byline(Lang::of("en"), parts), "By Massene Diop · June 18, 2017 at 6:48 PM · Read 1 time");
        assert_eq!(byline(Lang::of("fr"), parts), "Rédigé par Massene Diop le June 18, 2017 à 6:48 PM | Lu 1 fois");
    }

    #[test]
    fn byline_without_author_or_date() {
        let none: Vec<String> = vec![];
        let parts = BylineParts { authors: &none, published: Some(("1 mai 2026", "09:00")), views: None };
        assert_eq!(byline(Lang::of("fr"), parts), "Publié le 1 mai 2026 à 09:00");
        assert_eq!(byline(Lang::of("en"), BylineParts { authors: &none, ..parts }), "1 mai 2026 at 09:00");
        assert_eq!(byline(Lang::of("fr"), BylineParts::default()), "");
        let count_only = BylineParts { authors: &none, published: None, views: Some(("3", Plural::Other)) };
        assert_eq!(byline(Lang::of("fr"), count_only), "Lu 3 fois");
        assert_eq!(byline(Lang::of("en"), count_only), "Read 3 times");
        let authors = diop();
        assert_eq!(byline(Lang::of("en"), BylineParts { authors: &authors, ..BylineParts::default() }), "By Massene Diop");
    }

    #[test]
    fn every_language_writes_the_sample_byline() {
        // Dates and times as Chromium's Intl writes them for each language (data-time-zone
        // Africa/Bamako, so 18:48 UTC), the count formatted and its plural category.
        let authors = diop();
        let expected = [
            ("fr", "18 juin 2017", "18:48", "376", "Rédigé par Massene Diop le 18 juin 2017 à 18:48 | Lu 376 fois"),
            ("en", "June 18, 2017", "6:48 PM", "376", "By Massene Diop · June 18, 2017 at 6:48 PM · Read 376 times"),
            ("es", "18 de junio de 2017", "18:48", "376", "Por Massene Diop · 18 de junio de 2017 a las 18:48 · Leído 376 veces"),
            ("pt", "18 de junho de 2017", "18:48", "376", "Por Massene Diop · 18 de junho de 2017 às 18:48 · Lido 376 vezes"),
            ("de", "18. Juni 2017", "18:48", "376", "Von Massene Diop · 18. Juni 2017 um 18:48 · 376 Mal gelesen"),
            ("ar", "18 يونيو 2017", "6:48 م", "376", "بقلم \u{2068}Massene Diop\u{2069} · 18 يونيو 2017 الساعة 6:48 م · عدد القراءات: 376"),
            ("sw", "18 Juni 2017", "18:48", "376", "Na Massene Diop · 18 Juni 2017 saa 18:48 · Imesomwa mara 376"),
            ("zh", "2017年6月18日", "18:48", "376", "作者：Massene Diop · 2017年6月18日 18:48 · 阅读 376 次"),
        ];
        assert_eq!(expected.len(), LANGUAGES.len(), "one line per language");
        for (tag, date, time, n, line) in expected {
            let parts = BylineParts { authors: &authors, published: Some((date, time)), views: Some((n, Plural::Other)) };
            assert_eq!(byline(Lang::of(tag), parts), line, "{tag}");
        }
        let once = BylineParts { authors: &[], published: None, views: Some(("1", Plural::One)) };
        assert_eq!(byline(Lang::of("es"), once), "Leído 1 vez");
        assert_eq!(byline(Lang::of("pt"), once), "Lido 1 vez");
    }

    #[test]
    fn every_language_is_complete_and_found_by_its_tag() {
        for l in &LANGUAGES {
            let lang = Lang::from_tag(l.tag).map(Lang::strings).map(|s| s.tag);
            assert_eq!(lang, Some(l.tag));
            let words = [l.urgent, l.breaking, l.read_more, l.show_less, l.close_alert, l.previous_alert, l.next_alert, l.pause_rotation, l.resume_rotation, l.alert_region];
            assert!(words.iter().all(|w| !w.trim().is_empty()), "{}", l.tag);
        }
        assert_eq!(Lang::of("ar").dir(), "rtl");
        assert_eq!(Lang::of("zh-Hans-CN").dir(), "ltr");
        assert_eq!(Lang::from_tag("ha"), None, "Hausa falls back");
    }

    #[test]
    fn feed_text_takes_the_direction_of_its_language() {
        assert_eq!(text_dir(Some("ar-MA")), "rtl");
        assert_eq!(text_dir(Some("HE")), "rtl");
        assert_eq!(text_dir(Some("fr")), "auto");
        assert_eq!(text_dir(None), "auto");
    }

    #[test]
    fn joins_several_authors() {
        let names: Vec<String> = ["A", " ", "B", "C"].iter().map(|s| s.to_string()).collect();
        assert_eq!(join_names(LANGUAGES[0].byline.and, &names), "A, B et C");
        assert_eq!(join_names(LANGUAGES[1].byline.and, &names[..3]), "A and B");
    }

    /// Stands in for `Intl.getCanonicalLocales` on the tags below: a language of two or three
    /// letters, then subtags of 2 to 8 letters or digits; case as BCP 47 writes it.
    fn canonical(tag: &str) -> Option<String> {
        let mut out = String::new();
        for (i, part) in tag.split('-').enumerate() {
            let ok = if i == 0 { (2..=3).contains(&part.len()) } else { (2..=8).contains(&part.len()) };
            if !ok || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            let part = match (i, part.len()) {
                (0, _) => part.to_ascii_lowercase(),
                (_, 2) => part.to_ascii_uppercase(),
                _ => part.to_ascii_lowercase(),
            };
            push_joined(&mut out, "-", &part);
        }
        Some(out)
    }

    fn locale(candidates: &[Option<&str>]) -> Locale {
        resolve(candidates, canonical).0
    }

    #[test]
    fn resolves_language_in_order_of_preference() {
        assert_eq!(locale(&[Some("fr"), Some("en")]), Locale { lang: Lang::of("fr"), tag: "fr".into() });
        assert_eq!(locale(&[None, Some("ha"), Some("en_GB")]), Locale { lang: Lang::of("en"), tag: "en-GB".into() });
        assert_eq!(locale(&[Some(" FR-ca ")]), Locale { lang: Lang::of("fr"), tag: "fr-CA".into() });
        assert_eq!(locale(&[Some("ha"), None]), Locale { lang: Lang::of("en"), tag: "en".into() });
    }

    #[test]
    fn odd_tags_are_cleaned_or_passed_over_for_the_next_candidate() {
        assert_eq!(locale(&[Some("fr_FR.UTF-8")]), Locale { lang: Lang::of("fr"), tag: "fr-FR".into() });
        assert_eq!(locale(&[Some("fr_FR@euro")]), Locale { lang: Lang::of("fr"), tag: "fr-FR".into() });
        assert_eq!(locale(&[Some("EN_us")]), Locale { lang: Lang::of("en"), tag: "en-US".into() });
        let (l, refused) = resolve(&[Some("fr-"), Some("en-x"), Some("fr-CA")], canonical);
        assert_eq!((l, refused), (Locale { lang: Lang::of("fr"), tag: "fr-CA".into() }, vec!["fr-", "en-x"]));
        let (l, refused) = resolve(&[Some("fr-"), Some("bm"), None], canonical);
        assert_eq!((l, refused), (Locale { lang: Lang::of("en"), tag: "en".into() }, vec!["fr-"]));
        assert_eq!(clean_tag(" pt_BR.ISO-8859-1@x "), "pt-BR");
    }

    #[test]
    fn kicker_follows_urgency_unless_overridden() {
        assert_eq!(kicker(Lang::of("fr"), 1, None), Some("URGENT"));
        assert_eq!(kicker(Lang::of("en"), 2, None), Some("BREAKING"));
        assert_eq!(kicker(Lang::of("fr"), 2, Some("  ")), Some("ALERTE"));
        assert_eq!(kicker(Lang::of("fr"), 5, None), None);
        assert_eq!(kicker(Lang::of("fr"), 5, Some("EXCLUSIF")), Some("EXCLUSIF"));
    }

    #[test]
    fn hours_follow_each_language() {
        assert_eq!(Lang::of("fr").hour_style(), "2-digit");
        assert_eq!(Lang::of("en").hour_style(), "numeric");
    }

    #[test]
    fn plural_categories() {
        assert_eq!(Plural::from_category("one"), Plural::One);
        assert_eq!(Plural::from_category("many"), Plural::Other);
    }
}
