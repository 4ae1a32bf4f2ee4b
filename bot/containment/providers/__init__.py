"""Pure planners, one module per provider family; `bot.containment.rules` chooses between them."""
