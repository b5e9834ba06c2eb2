//! The predefined use-case templates, and the audiences, channels and placeholders they
//! draw on. The journey of each is fixed: users configure a template, they do not edit
//! its flow (as in the real product).

/// A predefined use case.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) tagline: &'static str,
    pub(crate) description: &'static str,
    pub(crate) category: &'static str,
    pub(crate) channels: &'static [&'static str],
    pub(crate) audience: &'static str,
    pub(crate) message: &'static str,
    /// Placeholders the message must keep, or the use case cannot work.
    pub(crate) required: &'static [&'static str],
    /// The fixed journey, step by step.
    pub(crate) journey: &'static [&'static str],
    /// The badge colour in the gallery.
    pub(crate) colour: &'static str,
}

pub(crate) const TEMPLATES: &[Template] = &[
    Template {
        id: "abandoned-cart",
        name: "Abandoned cart reminder",
        tagline: "Win back carts left behind",
        description: "Reminds shoppers of the cart they left an hour later, and nudges them with an offer the next day if they still have not bought.",
        category: "E-commerce",
        channels: &["SMS", "WhatsApp", "Email"],
        audience: "cart_abandoners",
        message: "Hi {{first_name}}, you left something in your cart at {{store_name}}. Finish your order here: {{cart_link}}",
        required: &["cart_link"],
        journey: &[
            "Cart abandoned",
            "Wait 1 hour",
            "Send reminder",
            "Wait 1 day",
            "Not purchased: send offer",
            "Exit on purchase",
        ],
        colour: "#ff5a1f",
    },
    Template {
        id: "welcome-series",
        name: "Welcome series",
        tagline: "Greet every new customer",
        description: "Welcomes new sign-ups, shares a few tips three days later, and offers a first-order discount at the end of the first week.",
        category: "Onboarding",
        channels: &["Email", "SMS"],
        audience: "new_signups",
        message: "Welcome to {{store_name}}, {{first_name}}! Here is 10% off your first order: {{discount_code}}",
        required: &["discount_code"],
        journey: &[
            "Signs up",
            "Send welcome",
            "Wait 3 days",
            "Send tips",
            "Wait 4 days",
            "Send first-order offer",
        ],
        colour: "#2f5bea",
    },
    Template {
        id: "appointment-reminder",
        name: "Appointment reminder",
        tagline: "Fewer no-shows",
        description: "Reminds customers of their appointment a day ahead and lets them confirm by replying; a second reminder goes out two hours before if they did not.",
        category: "Services",
        channels: &["SMS", "WhatsApp", "Viber"],
        audience: "upcoming_appointments",
        message: "Hi {{first_name}}, see you on {{appointment_date}} at {{appointment_time}}. Reply C to confirm.",
        required: &["appointment_date", "appointment_time"],
        journey: &[
            "Appointment booked",
            "24 h before: send reminder",
            "Reply C: mark confirmed",
            "No reply: remind 2 h before",
        ],
        colour: "#0f8a5f",
    },
    Template {
        id: "birthday-offer",
        name: "Birthday offer",
        tagline: "A gift on their day",
        description: "Sends a personal birthday greeting with a discount valid for a week, and a reminder three days before it ends.",
        category: "Loyalty",
        channels: &["SMS", "Email", "WhatsApp"],
        audience: "birthday_this_month",
        message: "Happy birthday, {{first_name}}! Enjoy 20% off at {{store_name}} this week with {{discount_code}}.",
        required: &["discount_code"],
        journey: &[
            "Birthday today",
            "Send greeting with offer",
            "Wait 4 days",
            "Offer unused: send reminder",
        ],
        colour: "#b2399b",
    },
    Template {
        id: "win-back",
        name: "Win-back",
        tagline: "Re-engage lapsed customers",
        description: "Reaches customers who have not bought in 90 days with free shipping, and follows up once if they open but do not buy.",
        category: "Retention",
        channels: &["Email", "SMS"],
        audience: "inactive_90",
        message: "We miss you, {{first_name}}. Come back to {{store_name}}: free shipping with {{discount_code}}.",
        required: &["discount_code"],
        journey: &[
            "90 days without a purchase",
            "Send win-back offer",
            "Wait 5 days",
            "Opened, no purchase: follow up",
        ],
        colour: "#b26a00",
    },
    Template {
        id: "delivery-updates",
        name: "Delivery updates",
        tagline: "Keep buyers in the loop",
        description: "Tells buyers when their order ships and when it is out for delivery, with a tracking link in each message.",
        category: "Transactional",
        channels: &["SMS", "WhatsApp"],
        audience: "recent_orders",
        message: "Your order {{order_id}} is on its way! Track it here: {{tracking_link}}",
        required: &["order_id", "tracking_link"],
        journey: &[
            "Order shipped",
            "Send shipping notice",
            "Out for delivery",
            "Send delivery-day notice",
        ],
        colour: "#5b6079",
    },
];

/// The template `id`.
pub(crate) fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

/// An audience a use case can target: id, label, base size.
pub(crate) const SEGMENTS: &[(&str, &str, u32)] = &[
    ("all", "All customers", 48_210),
    (
        "cart_abandoners",
        "Abandoned a cart in the last 24 hours",
        1_284,
    ),
    ("new_signups", "Signed up in the last 7 days", 736),
    (
        "upcoming_appointments",
        "Appointment in the next 48 hours",
        412,
    ),
    ("birthday_this_month", "Birthday this month", 3_905),
    ("inactive_90", "No purchase in 90 days", 9_871),
    ("recent_orders", "Ordered in the last 14 days", 5_460),
];

/// The label of segment `id`.
pub(crate) fn segment_label(id: &str) -> &'static str {
    SEGMENTS
        .iter()
        .find(|(s, _, _)| *s == id)
        .map_or("Unknown audience", |(_, label, _)| label)
}

/// How many customers segment `id` reaches for a tenant (seeded, so each tenant sees
/// its own, stable numbers).
pub(crate) fn reach(id: &str, tenant_seed: u64) -> u32 {
    let base = SEGMENTS
        .iter()
        .find(|(s, _, _)| *s == id)
        .map_or(0, |(_, _, n)| *n);
    let spread = u32::try_from(tenant_seed % 41).unwrap_or(0);
    base * (80 + spread) / 100
}

/// The placeholders a message may use, with the sample value the preview shows.
pub(crate) const PLACEHOLDERS: &[(&str, &str)] = &[
    ("first_name", "Dana"),
    ("store_name", "Acme Store"),
    ("cart_link", "https://acme.example/c/8Hq2"),
    ("discount_code", "HELLO10"),
    ("appointment_date", "Fri 12 Dec"),
    ("appointment_time", "10:30"),
    ("order_id", "#10482"),
    ("tracking_link", "https://acme.example/t/X91"),
];

/// The sender each channel starts with, in the format that channel accepts.
pub(crate) fn default_sender(channel: &str) -> &'static str {
    match channel {
        "WhatsApp" => "+14155550123",
        "Email" => "hello@acme.example",
        _ => "AcmeStore",
    }
}
