"""Channel adapters: each turns its wire protocol into agent turns and sends frames back."""
