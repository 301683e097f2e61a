"""The default achievements, as data.

The data migration and `manage.py load_achievements` both read this list. After the first load
the rows belong to the content authors (name, description, icon, bonus XP are admin-editable);
`load_achievements` only adds missing ones unless told to `--reset`.
"""

DEFAULT_ACHIEVEMENTS: list[dict] = [
    {
        "key": "first-session",
        "rule": "first_session",
        "name": "First steps",
        "description": "Complete your first scored session.",
        "icon": "👣",
        "bonus_xp": 10,
    },
    {
        "key": "first-pass",
        "rule": "first_pass",
        "name": "Ticket closed",
        "description": "Pass a scenario for the first time.",
        "icon": "✅",
        "bonus_xp": 20,
    },
    {
        "key": "perfect-score",
        "rule": "perfect_score",
        "name": "Flawless",
        "description": "Score 100 in a session without a hint.",
        "icon": "💯",
        "bonus_xp": 50,
    },
    {
        "key": "streak-3",
        "rule": "streak_3",
        "name": "On a roll",
        "description": "Practise on 3 days in a row.",
        "icon": "🔥",
        "bonus_xp": 25,
    },
    {
        "key": "streak-7",
        "rule": "streak_7",
        "name": "Week of practice",
        "description": "Practise on 7 days in a row.",
        "icon": "📅",
        "bonus_xp": 75,
    },
    {
        "key": "five-passes",
        "rule": "five_passes",
        "name": "High five",
        "description": "Pass 5 sessions.",
        "icon": "🖐️",
        "bonus_xp": 30,
    },
    {
        "key": "all-starters",
        "rule": "all_starters",
        "name": "Foundations",
        "description": "Pass every starter scenario.",
        "icon": "🧱",
        "bonus_xp": 50,
    },
    {
        "key": "first-advanced-pass",
        "rule": "first_advanced_pass",
        "name": "Advanced agent",
        "description": "Pass an advanced scenario.",
        "icon": "🎓",
        "bonus_xp": 50,
    },
    {
        "key": "hostile-resolved",
        "rule": "hostile_resolved",
        "name": "Cool under fire",
        "description": "Calm an impatient customer who turned hostile, and get a confirmed fix.",
        "icon": "🧯",
        "bonus_xp": 40,
    },
    {
        "key": "under-time",
        "rule": "under_time",
        "name": "Quick fix",
        "description": "Get a confirmed fix in under half the estimated time, and pass.",
        "icon": "⏱️",
        "bonus_xp": 20,
    },
    {
        "key": "level-5",
        "rule": "level_5",
        "name": "Level 5",
        "description": "Reach level 5.",
        "icon": "⭐",
        "bonus_xp": 0,
    },
    {
        "key": "ten-sessions",
        "rule": "ten_sessions",
        "name": "Regular",
        "description": "Complete 10 scored sessions.",
        "icon": "🔟",
        "bonus_xp": 30,
    },
    {
        "key": "comeback",
        "rule": "comeback",
        "name": "Comeback",
        "description": "Pass a scenario right after failing it twice in a row.",
        "icon": "💪",
        "bonus_xp": 30,
    },
]
