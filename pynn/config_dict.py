"""keras.utils.Config: a dict with attribute access that can be frozen (Keras 3's
keras/src/utils/config.py semantics, including its error messages)."""
import copy
import difflib
import json


class Config:
    """A dict-like container of named values, readable as attributes, that can be frozen.

    Parameters
    ----------
    **kwargs
        The initial entries.

    Raises
    ------
    ValueError
        Any change while frozen.
    AttributeError
        Reading an unknown name (with the closest known name, if any).

    Examples
    --------
    >>> config = pynn.utils.Config(learning_rate=0.1, momentum=0.9)
    >>> config.seed = 123
    >>> config["learning_rate"], config.seed, sorted(config)
    (0.1, 123, ['learning_rate', 'momentum', 'seed'])
    >>> config.freeze()
    >>> config.seed = 1
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen.
    >>> config.to_json()
    '{"learning_rate": 0.1, "momentum": 0.9, "seed": 123}'
    """

    # the instance's own attribute names (set at the end of __init__): any other name
    # read or written as an attribute is an entry
    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self):
        """Whether changes are refused."""
        return self._frozen

    def freeze(self):
        """Refuses every later change (until `unfreeze`).

        Examples
        --------
        >>> c = pynn.utils.Config(a=1)
        >>> c.freeze()
        >>> c.frozen
        True
        """
        self._frozen = True

    def unfreeze(self):
        """Allows changes again.

        Examples
        --------
        >>> c = pynn.utils.Config(a=1)
        >>> c.freeze(); c.unfreeze(); c.a = 2
        >>> c.a
        2
        """
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        """A shallow copy of the entries as a dict.

        Examples
        --------
        >>> pynn.utils.Config(a=1).as_dict()
        {'a': 1}
        """
        return copy.copy(self._config)

    def to_json(self):
        """The entries as a JSON string.

        Examples
        --------
        >>> pynn.utils.Config(a=1).to_json()
        '{"a": 1}'
        """
        return json.dumps(self._config)

    def keys(self):
        """The entries' names, in insertion order.

        Examples
        --------
        >>> list(pynn.utils.Config(b=1, a=2).keys())
        ['b', 'a']
        """
        return self._config.keys()

    def values(self):
        """The entries' values.

        Examples
        --------
        >>> list(pynn.utils.Config(b=1, a=2).values())
        [1, 2]
        """
        return self._config.values()

    def items(self):
        """(name, value) pairs.

        Examples
        --------
        >>> list(pynn.utils.Config(a=2).items())
        [('a', 2)]
        """
        return self._config.items()

    def pop(self, *args):
        """Removes an entry and returns its value (as ``dict.pop``).

        Parameters
        ----------
        *args
            The name, and optionally a default.

        Examples
        --------
        >>> pynn.utils.Config(a=2).pop("a")
        2
        """
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        """Adds or replaces entries (as ``dict.update``).

        Parameters
        ----------
        *args, **kwargs
            As ``dict.update``.

        Examples
        --------
        >>> c = pynn.utils.Config(a=2)
        >>> c.update(b=3)
        >>> c.as_dict()
        {'a': 2, 'b': 3}
        """
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        """An entry, or ``value`` when it is absent.

        Parameters
        ----------
        keyname : str
            The entry's name.
        value : object, optional
            The default.

        Examples
        --------
        >>> pynn.utils.Config(a=2).get("b", 0)
        0
        """
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__getattribute__(self, name)
        if name in self._config:
            return self._config[name]
        msg = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, self._config.keys(), n=1, cutoff=0.7)
        if close:
            msg += f" Did you mean '{close[0]}'?"
        raise AttributeError(msg)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):  # sorted, as Keras
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
