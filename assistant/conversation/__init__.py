"""The chat as plain code: a session that takes user turns and yields assistant turns."""

from assistant.conversation.session import SYMPTOMS, Session
from assistant.conversation.turns import Choice, TreeNode, Turn

__all__ = ["SYMPTOMS", "Choice", "Session", "TreeNode", "Turn"]
