//! What the chatbot builder remembers per tenant (its chatbots, kept in the tenant's
//! [`Workspace`](crate::store::Workspace)), the new-chatbot form's fields and their
//! validation, and how a chatbot answers what a customer says.

use std::collections::BTreeMap;

/// Most chatbots one tenant may have; creating one more says so.
pub(crate) const MAX_CHATBOTS: usize = 20;

/// Intent slots on the form; the first [`REQUIRED_INTENTS`] must be filled in.
pub(crate) const INTENTS: usize = 3;

/// Intents a chatbot needs at least.
pub(crate) const REQUIRED_INTENTS: usize = 2;

/// Whether a chatbot answers customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Draft,
    Published,
}

impl Status {
    /// The name in `data-status` and CSS: `draft` or `published`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    /// The label a person reads.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Published => "Published",
        }
    }
}

/// Something a customer wants, how they say it, and what the chatbot answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Intent {
    pub(crate) name: String,
    /// Sample phrases: how customers say it.
    pub(crate) phrases: Vec<String>,
    pub(crate) answer: String,
}

/// A tenant's chatbot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chatbot {
    /// `bot-<n>`, unique within the tenant.
    pub(crate) id: String,
    pub(crate) name: String,
    /// What it says first.
    pub(crate) greeting: String,
    pub(crate) intents: Vec<Intent>,
    pub(crate) status: Status,
}

impl Chatbot {
    /// What the chatbot says to `said`: the intent whose sample phrases share the most
    /// words with it (at least half of a phrase's), or `None` when nothing fits.
    pub(crate) fn reply(&self, said: &str) -> Option<&Intent> {
        let said = words(said);
        self.intents
            .iter()
            .flat_map(|intent| intent.phrases.iter().map(move |p| (intent, words(p))))
            .filter(|(_, phrase)| !phrase.is_empty())
            .map(|(intent, phrase)| {
                let shared = phrase.iter().filter(|w| said.contains(w)).count();
                (intent, shared * 100 / phrase.len())
            })
            .filter(|(_, score)| *score >= 50)
            .fold(
                None,
                |best: Option<(&Intent, usize)>, (intent, score)| match best {
                    Some((_, top)) if top >= score => best,
                    _ => Some((intent, score)),
                },
            )
            .map(|(intent, _)| intent)
    }
}

/// Lower-case words of `text`, punctuation dropped.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The form field of intent slot `n` (1-based): `intent2_phrases`.
pub(crate) fn intent_field(n: usize, part: &str) -> String {
    format!("intent{n}_{part}")
}

/// Every field of the form, in order.
pub(crate) fn fields() -> Vec<String> {
    let mut fields = vec!["name".to_owned(), "greeting".to_owned()];
    for n in 1..=INTENTS {
        for part in ["name", "phrases", "answer"] {
            fields.push(intent_field(n, part));
        }
    }
    fields
}

/// An example to start from, so a person only has to name the chatbot.
pub(crate) fn example() -> BTreeMap<String, String> {
    [
        ("name", ""),
        (
            "greeting",
            "Hi! I'm the Acme Store assistant. Ask me about opening hours or your order.",
        ),
        ("intent1_name", "Opening hours"),
        (
            "intent1_phrases",
            "When are you open?\nWhat are your opening hours?\nAre you open on Sunday?",
        ),
        (
            "intent1_answer",
            "We are open Monday to Saturday from 9:00 to 20:00, and on Sunday from 10:00 to 16:00.",
        ),
        ("intent2_name", "Order status"),
        (
            "intent2_phrases",
            "Where is my order?\nHas my order shipped?\nTrack my parcel",
        ),
        (
            "intent2_answer",
            "Tell me your order number and I will look it up. You can also track it at acme.example/orders.",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The form's own fields from a post, trimmed; anything else is dropped.
pub(crate) fn form_values(form: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields()
        .into_iter()
        .map(|field| {
            let value = form.get(&field).map_or("", |v| v.trim()).to_owned();
            (field, value)
        })
        .collect()
}

/// A problem with the form: the field, and a sentence a person can act on.
pub(crate) type Problem = (String, String);

/// A chatbot as the form describes it, before it is numbered and stored.
#[derive(Debug)]
pub(crate) struct NewChatbot {
    pub(crate) name: String,
    pub(crate) greeting: String,
    pub(crate) intents: Vec<Intent>,
}

/// The chatbot the form describes, or its problems. `taken` are the tenant's chatbot
/// names: a name is used once.
pub(crate) fn validate(
    values: &BTreeMap<String, String>,
    taken: &[String],
) -> Result<NewChatbot, Vec<Problem>> {
    let get = |field: &str| values.get(field).map_or("", |v| v.trim());
    let mut problems = Vec::new();
    let mut fail = |field: &str, message: String| problems.push((field.to_owned(), message));
    let name = get("name");
    if name.is_empty() || name.chars().count() > 60 {
        fail(
            "name",
            "Give the chatbot a name of up to 60 characters.".into(),
        );
    } else if taken.iter().any(|t| t.eq_ignore_ascii_case(name)) {
        fail(
            "name",
            format!("You already have a chatbot called {name}; pick another name."),
        );
    }
    let greeting = get("greeting");
    if greeting.is_empty() || greeting.chars().count() > 300 {
        fail(
            "greeting",
            "Write the greeting the chatbot opens with, up to 300 characters.".into(),
        );
    }
    let mut intents: Vec<Intent> = Vec::new();
    for n in 1..=INTENTS {
        let field = |part: &str| intent_field(n, part);
        let (intent_name, phrases, answer) = (
            get(&field("name")),
            get(&field("phrases")),
            get(&field("answer")),
        );
        if n > REQUIRED_INTENTS && intent_name.is_empty() && phrases.is_empty() && answer.is_empty()
        {
            continue;
        }
        let phrases: Vec<String> = phrases
            .lines()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let mut ok = true;
        if intent_name.is_empty() || intent_name.chars().count() > 40 {
            fail(
                &field("name"),
                format!("Name intent {n} (up to 40 characters), e.g. Opening hours."),
            );
            ok = false;
        } else if intents
            .iter()
            .any(|i| i.name.eq_ignore_ascii_case(intent_name))
        {
            fail(
                &field("name"),
                format!("Intent {n} has the name of another intent; each needs its own."),
            );
            ok = false;
        }
        if !(2..=20).contains(&phrases.len()) || phrases.iter().any(|p| p.chars().count() > 120) {
            fail(
                &field("phrases"),
                format!(
                    "Give intent {n} from 2 to 20 sample phrases, one per line, each up to 120 characters."
                ),
            );
            ok = false;
        } else if let Some(shared) = phrases.iter().find(|p| {
            intents
                .iter()
                .flat_map(|i| &i.phrases)
                .any(|q| q.eq_ignore_ascii_case(p))
        }) {
            fail(
                &field("phrases"),
                format!(
                    "\u{201c}{shared}\u{201d} is a phrase of another intent too; a customer saying it could mean either."
                ),
            );
            ok = false;
        }
        if answer.is_empty() || answer.chars().count() > 500 {
            fail(
                &field("answer"),
                format!("Write what the chatbot answers to intent {n}, up to 500 characters."),
            );
            ok = false;
        }
        if ok {
            intents.push(Intent {
                name: intent_name.to_owned(),
                phrases,
                answer: answer.to_owned(),
            });
        }
    }
    if problems.is_empty() {
        Ok(NewChatbot {
            name: name.to_owned(),
            greeting: greeting.to_owned(),
            intents,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> BTreeMap<String, String> {
        let mut values = example();
        values.insert("name".into(), name.into());
        values
    }

    #[test]
    fn the_example_with_a_name_is_a_chatbot() {
        let bot = validate(&named("Helper"), &[]).unwrap();
        assert_eq!(bot.name, "Helper");
        assert!(bot.greeting.starts_with("Hi!"));
        assert_eq!(bot.intents.len(), 2, "the third slot is optional");
        assert_eq!(bot.intents[1].phrases.len(), 3);
    }

    #[test]
    fn each_problem_names_its_field_and_says_what_to_do() {
        let field_of = |values: &BTreeMap<String, String>, taken: &[String]| {
            validate(values, taken)
                .unwrap_err()
                .into_iter()
                .map(|(field, _)| field)
                .collect::<Vec<_>>()
        };
        assert_eq!(field_of(&example(), &[]), ["name"]);
        assert_eq!(
            field_of(&named("helper"), &["Helper".to_owned()]),
            ["name"],
            "a name is used once"
        );
        let mut values = named("Helper");
        values.insert("intent2_phrases".into(), "Only one".into());
        values.insert(
            "intent3_answer".into(),
            "An answer without an intent".into(),
        );
        assert_eq!(
            field_of(&values, &[]),
            ["intent2_phrases", "intent3_name", "intent3_phrases"]
        );
        let mut values = named("Helper");
        values.insert("intent2_name".into(), "opening HOURS".into());
        values.insert("intent2_phrases".into(), "When are you open?\nHello".into());
        let problems = validate(&values, &[]).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[1].1.contains("phrase of another intent"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_chatbot_answers_with_the_closest_intent_or_not_at_all() {
        let new = validate(&named("Helper"), &[]).unwrap();
        let bot = Chatbot {
            id: "bot-1".into(),
            name: new.name,
            greeting: new.greeting,
            intents: new.intents,
            status: Status::Draft,
        };
        assert_eq!(
            bot.reply("are you OPEN on sunday?!")
                .map(|i| i.name.as_str()),
            Some("Opening hours")
        );
        assert_eq!(
            bot.reply("where is my order").map(|i| i.name.as_str()),
            Some("Order status")
        );
        assert_eq!(bot.reply("tell me a joke"), None);
        assert_eq!(bot.reply(""), None);
    }
}
