"""The one error a user of quantviz can cause."""


class InputError(ValueError):
    """A problem with what the user gave us, told in one plain sentence.

    Raised for empty or non-numeric arrays, bit widths out of range, unknown
    names, parameters out of their range, an axis or group size that does not
    fit the tensor, and files that cannot be read safely. The app shows the
    message with ``st.error``; nothing else is needed to understand it.
    """
